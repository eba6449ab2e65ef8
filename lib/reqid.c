#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "reqid.h"

/* splitmix64: request ids need to be unique, not secret. */
static _Thread_local uint64_t id_state;

void
app_new_request_id(char id[RESP_REQUEST_ID_MAX + 1])
{
	uint64_t z;

	if (id_state == 0 && getrandom(&id_state, sizeof(id_state), 0) !=
	    (ssize_t)sizeof(id_state))
		id_state = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&z;
	z = (id_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	/* 16 lowercase hex digits, by hand: snprintf cost more than the rest. */
	for (int i = 15; i >= 0; i--, z >>= 4)
		id[i] = "0123456789abcdef"[z & 0xF];
	id[16] = '\0';
}

void
app_set_request_id(struct response *resp, const char *given)
{
	size_t n = given ? strlen(given) : 0;

	if (n >= 1 && n <= RESP_REQUEST_ID_MAX &&
	    strspn(given, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n) {
		memcpy(resp->request_id, given, n + 1);
		return;
	}
	app_new_request_id(resp->request_id);
}
