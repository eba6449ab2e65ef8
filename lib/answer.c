#include <stdio.h>

#include "answer.h"
#include "jsonb.h"

#define BODY_BAD_KEY	"{\"detail\":\"Invalid authentication credentials\"}"
#define BODY_FORBIDDEN	"{\"reason\":\"Forbidden\",\"error_type\":\"Forbidden\"}"
#define BODY_UNAVAILABLE "{\"reason\":\"Service temporarily unavailable\"," \
			"\"error_type\":\"ServiceUnavailable\"}"

int
answer_reason(struct response *resp, int status, const char *reason,
    const char *type)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL || jb_add(o, "reason", json_object_new_string(reason)) ||
	    jb_add(o, "error_type", json_object_new_string(type))) {
		json_object_put(o);
		return -1;
	}
	return resp_json(resp, status, o);
}

void
answer_unavailable(struct response *resp)
{
	resp->retry_after = 1;
	resp_static(resp, 503, BODY_UNAVAILABLE);
}

void
answer_bad_key(struct response *resp)
{
	resp->www_authenticate = 1;
	resp_static(resp, 401, BODY_BAD_KEY);
}

int
answer_store(enum store_status s, const struct route *rt,
    struct response *resp, int *rc)
{
	char reason[1024];

	*rc = 0;
	switch (s) {
	case STORE_BAD_KEY:
		answer_bad_key(resp);
		return 1;
	case STORE_FORBIDDEN:
		resp_static(resp, 403, BODY_FORBIDDEN);
		return 1;
	case STORE_NO_PROJECT:
		snprintf(reason, sizeof(reason), "Project %s/%s not found",
		    rt->entity.val, rt->project.val);
		*rc = answer_reason(resp, 404, reason, "ProjectNotFound");
		return 1;
	case STORE_UNAVAILABLE:
		answer_unavailable(resp);
		return 1;
	case STORE_ERROR:
		*rc = -1;
		return 1;
	default:
		return 0;
	}
}
