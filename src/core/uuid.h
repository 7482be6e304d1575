/* Domain uuids in their 36-character text form, as xl, xenstore and the state file write them. */
#pragma once

#include <stdint.h>

/* The text form's length, without its NUL. */
#define UUID_TEXT_LEN 36

/* Writes u as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into buf (UUID_TEXT_LEN + 1 bytes). */
void uuid_format(const uint8_t u[16], char *buf);
/* Parses the text form (either case); -EINVAL, u untouched, when it is not one. */
int uuid_parse(const char *s, uint8_t u[16]);
