#ifndef REQID_H
#define REQID_H

#include "respond.h"

/* Stores a new random request id (hex) in id. */
void app_new_request_id(char id[RESP_REQUEST_ID_MAX + 1]);

/*
 * Sets resp's request id: the client's X-Request-Id (given, may be NULL)
 * when it is 1-64 of [A-Za-z0-9._-], a new one otherwise.
 */
void app_set_request_id(struct response *resp, const char *given);

#endif
