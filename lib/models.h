#ifndef MODELS_H
#define MODELS_H

#include <json-c/json.h>

#include "app.h"
#include "body.h"
#include "endpoint.h"

/*
 * The Models resource's handlers (rows of lib/endpoint.c): each calls its
 * store operation and turns what comes back into the answer.
 */
endpoint_handler models_delete;	/* DELETE .../models/{object_id} */
endpoint_handler models_read;	/* GET .../versions/{digest} */
endpoint_handler models_list;	/* GET .../models, streamed to c->sink */
endpoint_handler models_create;	/* POST .../models */

/*
 * A create's body (EP_MODEL), checked: the 422 entries go to errors (a
 * json_invalid entry alone, as FastAPI stops there: *only is set); m is
 * filled when the body is sound. *parsed (the body's JSON) must be
 * released by the caller. Returns 0, or -1 when out of memory.
 */
int models_check_body(const struct request *req, struct json_object *errors,
    struct json_object **parsed, struct body_model *m, int *only);

#endif
