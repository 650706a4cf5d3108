import { describe, expect, it, vi } from "vitest";
import { ApiError, createApi, unwrap } from "../src/index.js";
import { jsonResponse } from "./helpers.js";

const PROJECT = { id: 1, name: "Bot", model: "m", temperature: 0.7, max_output_tokens: 100, created_at: "2026-01-01T00:00:00Z" };

describe("client", () => {
  it("sends the bearer token and unwraps data", async () => {
    const fetch = vi.fn(async (_req: Request) => jsonResponse(200, [PROJECT]));
    const api = createApi({ baseUrl: "http://api.test", getToken: () => "tok", fetch });
    expect(await unwrap(api.client.GET("/projects"))).toEqual([PROJECT]);
    const req = fetch.mock.calls[0]![0];
    expect(req.url).toBe("http://api.test/projects");
    expect(req.headers.get("Authorization")).toBe("Bearer tok");
  });

  it("sends no Authorization header without a token", async () => {
    const fetch = vi.fn(async (_req: Request) => jsonResponse(200, { message: "ok" }));
    const api = createApi({ baseUrl: "http://api.test", getToken: () => null, fetch });
    await unwrap(api.client.POST("/users/register", { body: { email: "a@b.c", password: "abcdefg1" } }));
    expect(fetch.mock.calls[0]![0].headers.has("Authorization")).toBe(false);
  });

  it("with a cookie session, sends X-CSRF-Token on unsafe requests only, and a 401 ends the session", async () => {
    const fetch = vi.fn(async (req: Request) => jsonResponse(req.method === "DELETE" ? 401 : 200, req.method === "GET" ? [PROJECT] : PROJECT));
    const onUnauthorized = vi.fn();
    let csrf: string | null = "c5rf";
    const api = createApi({ baseUrl: "http://api.test", getCsrfToken: () => csrf, onUnauthorized, fetch });
    await unwrap(api.client.GET("/projects"));
    await unwrap(api.client.POST("/projects", { body: { name: "Bot" } }));
    const [get, post] = fetch.mock.calls.map((c) => c[0]);
    expect(get!.headers.has("X-CSRF-Token")).toBe(false);
    expect(post!.headers.get("X-CSRF-Token")).toBe("c5rf");
    expect(post!.headers.has("Authorization")).toBe(false);
    await api.client.DELETE("/users/session");
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    csrf = null; // signed out: a 401 (e.g. a wrong password at sign-in) is only an answer
    await api.client.DELETE("/users/session");
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("throws ApiError with the server's detail and field errors", async () => {
    const body = { detail: "invalid input", errors: [{ field: "name", message: "required" }] };
    const api = createApi({ baseUrl: "http://api.test", fetch: async () => jsonResponse(400, body) });
    const err = await unwrap(api.client.POST("/projects", { body: { name: "" } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, detail: "invalid input", errors: body.errors, message: "invalid input" });
  });

  it("calls onUnauthorized for a 401 to an authenticated request only", async () => {
    const onUnauthorized = vi.fn();
    let token: string | null = null;
    const api = createApi({
      baseUrl: "http://api.test",
      getToken: () => token,
      onUnauthorized,
      fetch: async () => jsonResponse(401, { detail: "invalid email or password" }),
    });
    await expect(unwrap(api.client.POST("/users/login", { body: { email: "a", password: "b" } }))).rejects.toMatchObject({
      detail: "invalid email or password",
    });
    expect(onUnauthorized).not.toHaveBeenCalled();
    token = "old";
    await expect(unwrap(api.client.GET("/projects"))).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("returns undefined for 204 answers", async () => {
    const api = createApi({ baseUrl: "http://api.test", fetch: async () => new Response(null, { status: 204 }) });
    const path = { project_id: 1 };
    await expect(unwrap(api.client.DELETE("/projects/{project_id}", { params: { path } }))).resolves.toBeUndefined();
  });
});
