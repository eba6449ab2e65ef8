// Must NOT type-check: the generated types are real, not `any`. Each line
// below is an error tsc has to report (the stage counts them).
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const api = createClient<paths>({ baseUrl: "" });
const path = { entity: "e", project: "p", object_id: "m" };
export async function f(): Promise<void> {
  const d = await api.DELETE("/v2/{entity}/{project}/models/{object_id}",
    { params: { path }, body: [1] });
  console.log(d.data?.num_deletd);
  await api.POST("/v2/{entity}/{project}/models",
    { params: { path }, body: { name: "x" } });
  await api.GET("/v2/{entity}/{project}/models/{object_id}",
    { params: { path } });
}
