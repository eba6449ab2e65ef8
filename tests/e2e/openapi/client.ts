// A client of the served OpenAPI document: schema.ts is what
// openapi-typescript generated from it, openapi-fetch makes the calls. It
// creates, reads, lists and deletes versions through the live stack and
// checks every answer: one "PASS name" or "FAIL name: why" line each.
// MODELS_API_URL and MODELS_API_KEY (a write key of entity "acme") say
// where and who.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

// Node's own globals, without @types/node.
declare const process: {
  env: Record<string, string | undefined>;
  exitCode?: number;
};

type ReadRes = components["schemas"]["ModelReadRes"];
type ErrorRes = components["schemas"]["ErrorRes"];
type HTTPErrorRes = components["schemas"]["HTTPErrorRes"];
type HTTPValidationError = components["schemas"]["HTTPValidationError"];

// An error answer is one of the document's error bodies: which one, the
// status says; these narrow the union the way a client would.
function isErrorRes(e: unknown): e is ErrorRes {
  return typeof e === "object" && e !== null && "error_type" in e;
}
function isValidation(e: unknown): e is HTTPValidationError {
  return typeof e === "object" && e !== null && "detail" in e &&
    Array.isArray(e.detail);
}
function isDetail(e: unknown): e is HTTPErrorRes {
  return typeof e === "object" && e !== null && "detail" in e &&
    typeof e.detail === "string";
}

const base = process.env.MODELS_API_URL ?? "";
const key = process.env.MODELS_API_KEY ?? "";
const api = createClient<paths>({
  baseUrl: base,
  headers: { Authorization: `Bearer ${key}` },
});
const anon = createClient<paths>({ baseUrl: base });
let failed = 0;

function check(name: string, ok: boolean, got: unknown): void {
  if (ok) {
    console.log(`PASS ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}: got ${JSON.stringify(got)}`);
  }
}

const path = { entity: "acme", project: "oa" };
// Weave's own digest for this model (the README's create example).
const source =
  "import weave\n\nclass MyModel(weave.Model):\n    temperature: float\n";
const DIGEST = "l3HLLkFSyN9ebFW8vMh5zS1oyXtTPAevDjKLfBKiwQw";

async function main(): Promise<void> {
  // --- create ---
  const c0 = await api.POST("/v2/{entity}/{project}/models", {
    params: { path, header: { "X-Request-Id": "oa-create-0" } },
    body: {
      name: "My Model",
      description: null,
      source_code: source,
      attributes: { temperature: 0.7 },
    },
  });
  check("create", c0.response.status === 200 && c0.data?.digest === DIGEST &&
    c0.data.object_id === "my_model" && c0.data.version_index === 0 &&
    c0.data.model_ref === `weave:///acme/oa/object/my_model:${DIGEST}`,
    c0.data ?? c0.error);
  check("create request id",
    c0.response.headers.get("X-Request-Id") === "oa-create-0",
    c0.response.headers.get("X-Request-Id"));
  const c1 = await api.POST("/v2/{entity}/{project}/models", {
    params: { path },
    body: { name: "My Model", source_code: source, attributes: { t: 1 } },
  });
  check("create a second version", c1.response.status === 200 &&
    c1.data?.version_index === 1, c1.data ?? c1.error);

  // --- read ---
  const r = await api.GET(
    "/v2/{entity}/{project}/models/{object_id}/versions/{digest}",
    { params: { path: { ...path, object_id: "my_model", digest: "v0" } } });
  const v: ReadRes | undefined = r.data;
  check("read v0", r.response.status === 200 && v?.digest === DIGEST &&
    v.name === "My Model" && v.description === null &&
    v.source_code === source && v.attributes?.temperature === 0.7 &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/.test(v.created_at),
    r.data ?? r.error);

  // --- list: JSON Lines, read as text ---
  const l = await api.GET("/v2/{entity}/{project}/models", {
    params: { path, query: { limit: 10, offset: 0 } },
    parseAs: "text",
  });
  const lines = (l.data ?? "").split("\n");
  const rows = lines.slice(0, -1).map((s) => JSON.parse(s) as ReadRes);
  check("list", l.response.status === 200 &&
    l.response.headers.get("Content-Type") === "application/jsonl" &&
    lines[lines.length - 1] === "" && rows.length === 2 &&
    rows[0]?.version_index === 0 && rows[1]?.version_index === 1,
    l.data ?? l.error);
  const l1 = await api.GET("/v2/{entity}/{project}/models", {
    params: { path, query: { offset: 1 } },
    parseAs: "text",
  });
  check("list offset 1", l1.data?.split("\n").length === 2 &&
    (JSON.parse(l1.data.split("\n")[0] ?? "") as ReadRes).version_index === 1,
    l1.data ?? l1.error);

  // --- delete: one by the query, one by the body ---
  const d1 = await api.DELETE("/v2/{entity}/{project}/models/{object_id}", {
    params: { path: { ...path, object_id: "my_model" },
      query: { digests: ["v1"] } },
  });
  check("delete by query", d1.response.status === 200 &&
    d1.data?.num_deleted === 1, d1.data ?? d1.error);
  const d0 = await api.DELETE("/v2/{entity}/{project}/models/{object_id}", {
    params: { path: { ...path, object_id: "my_model" } },
    body: [DIGEST],
  });
  check("delete by body", d0.response.status === 200 &&
    d0.data?.num_deleted === 1, d0.data ?? d0.error);

  // --- the error answers, typed ---
  const gone = await api.GET(
    "/v2/{entity}/{project}/models/{object_id}/versions/{digest}",
    { params: { path: { ...path, object_id: "my_model", digest: "latest" } } });
  const e404 = gone.error;
  check("read deleted", gone.response.status === 404 && isErrorRes(e404) &&
    e404.error_type === "ObjectDeletedError" &&
    /^my_model:v1 was deleted at /.test(e404.reason) &&
    typeof e404.deleted_at === "string", gone.error);
  const again = await api.DELETE("/v2/{entity}/{project}/models/{object_id}", {
    params: { path: { ...path, object_id: "my_model" } },
  });
  check("delete nothing left", again.response.status === 404 &&
    isErrorRes(again.error) &&
    again.error.reason === "Object my_model (None) not found when deleting.",
    again.error);
  const bad = await api.DELETE("/v2/{entity}/{project}/models/{object_id}", {
    params: { path: { ...path, object_id: "my_model" },
      query: { digests: ["bad!"] } },
  });
  const e422 = isValidation(bad.error) ? bad.error.detail?.[0] : undefined;
  check("422", bad.response.status === 422 &&
    e422?.type === "string_pattern_mismatch" &&
    JSON.stringify(e422.loc) === '["query","digests",0]', bad.error);
  const noKey = await anon.GET("/v2/{entity}/{project}/models", {
    params: { path },
    parseAs: "text",
  });
  check("401", noKey.response.status === 401 && isDetail(noKey.error) &&
    noKey.error.detail === "Not authenticated" &&
    noKey.response.headers.get("WWW-Authenticate") === "Basic",
    noKey.error);

  // --- the service routes, no key ---
  const h = await anon.GET("/health");
  check("health", h.response.status === 200 && h.data?.status === "ok",
    h.data ?? h.error);
  const doc = await anon.GET("/openapi.json");
  check("openapi.json", doc.response.status === 200 &&
    doc.data?.openapi === "3.1.0", doc.response.status);
  const head = await anon.HEAD("/openapi.json");
  check("HEAD openapi.json", head.response.status === 200 &&
    head.response.headers.get("Content-Length") ===
      doc.response.headers.get("Content-Length"),
    head.response.headers.get("Content-Length"));
}

main().then(
  () => { process.exitCode = failed > 0 ? 1 : 0; },
  (err: unknown) => {
    console.log(`FAIL client: ${String(err)}`);
    process.exitCode = 1;
  });
