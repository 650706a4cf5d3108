import { describe, expect, it, vi } from "vitest";
import { ApiError, createApi, isAbortError } from "../src/index.js";

/** Just enough of XMLHttpRequest for uploadFile; the test drives its events. */
class FakeXhr extends EventTarget {
  upload = new EventTarget();
  status = 0;
  statusText = "";
  responseText = "";
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: unknown;
  aborted = false;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.dispatchEvent(new Event("abort"));
  }
  progress(loaded: number, total: number) {
    this.upload.dispatchEvent(Object.assign(new Event("progress"), { loaded, total, lengthComputable: true }));
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.dispatchEvent(new Event("load"));
  }
}

function setup(token: string | null = "tok") {
  const xhr = new FakeXhr();
  const onUnauthorized = vi.fn();
  const api = createApi({
    baseUrl: "http://api.test",
    getToken: () => token,
    onUnauthorized,
    createXhr: () => xhr as unknown as XMLHttpRequest,
  });
  return { xhr, api, onUnauthorized };
}

const STORED = {
  id: 5,
  project_id: 2,
  filename: "notes.txt",
  openai_file_id: "file-1",
  file_size: 11,
  content_type: "text/plain",
  status: "in_progress",
  created_at: "2026-01-01T00:00:00Z",
};

describe("uploadFile", () => {
  it("posts multipart with the token, reports progress and resolves with the stored file", async () => {
    const { xhr, api } = setup();
    const progress = vi.fn();
    const file = new File(["hello world"], "notes.txt", { type: "text/plain" });
    const done = api.uploadFile(2, file, { onProgress: progress });
    expect(xhr.method).toBe("POST");
    expect(xhr.url).toBe("http://api.test/projects/2/files");
    expect(xhr.headers["Authorization"]).toBe("Bearer tok");
    const sent = (xhr.body as FormData).get("file") as File;
    expect(sent.name).toBe("notes.txt");
    expect(await sent.text()).toBe("hello world");
    xhr.progress(5, 11);
    xhr.progress(11, 11);
    xhr.respond(201, STORED);
    await expect(done).resolves.toEqual(STORED);
    expect(progress.mock.calls.map((c) => c[0])).toEqual([
      { loaded: 5, total: 11 },
      { loaded: 11, total: 11 },
    ]);
  });

  it("rejects with the server's detail", async () => {
    const { xhr, api } = setup();
    const done = api.uploadFile(2, new Blob(["x"]), { filename: "x.bin" });
    xhr.respond(413, { detail: "file too large" });
    const err = await done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 413, detail: "file too large" });
  });

  it("reports a 401 to onUnauthorized", async () => {
    const { xhr, api, onUnauthorized } = setup();
    const done = api.uploadFile(2, new Blob(["x"]));
    xhr.respond(401, { detail: "token expired" });
    await expect(done).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("aborts the request when the signal fires", async () => {
    const { xhr, api } = setup();
    const abort = new AbortController();
    const done = api.uploadFile(2, new Blob(["x"]), { signal: abort.signal });
    abort.abort();
    const err = await done.catch((e: unknown) => e);
    expect(xhr.aborted).toBe(true);
    expect(isAbortError(err)).toBe(true);
  });
});
