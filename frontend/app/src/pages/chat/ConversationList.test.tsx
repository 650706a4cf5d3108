// @vitest-environment jsdom
import type { Conversation } from "@chatbot-platform/sdk";
import { cleanup, fireEvent, render, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { filterQuery } from "./ConversationFilters";
import { ConversationList } from "./ConversationList";

afterEach(cleanup);

const conversation = (over: Partial<Conversation>): Conversation => ({
  id: 1,
  project_id: 1,
  title: "Hello",
  key_id: null,
  key_name: null,
  end_user: null,
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
  ...over,
});

describe("ConversationList", () => {
  it("names the key and the end user of conversations started through a key, as text", () => {
    const list = [
      conversation({ id: 1, title: "Own chat" }),
      conversation({ id: 2, key_id: 5, key_name: "<img src=x onerror=alert(1)>", end_user: "alice" }),
      conversation({ id: 3, key_id: 6, key_name: "Widget", end_user: "visitor:AbCdEfGh12345678" }),
    ];
    const { container, getByText } = render(
      <ConversationList conversations={list} selectedId={undefined} onOpen={vi.fn()} onDelete={vi.fn()} onRename={vi.fn()} />,
    );
    expect(container.querySelectorAll(".conversation-source")).toHaveLength(2);
    expect(container.querySelector("img")).toBeNull();
    expect(getByText("via <img src=x onerror=alert(1)> · alice")).toBeTruthy();
    expect(getByText("via Widget · anonymous visitor AbCdEfGh…").getAttribute("title")).toBe(
      "via Widget · visitor:AbCdEfGh12345678",
    );
  });

  it("says when filters match nothing", () => {
    const { getByText } = render(
      <ConversationList conversations={[]} selectedId={undefined} onOpen={vi.fn()} onDelete={vi.fn()} onRename={vi.fn()} emptyText="No match." />,
    );
    expect(getByText("No match.")).toBeTruthy();
  });
});

describe("filterQuery", () => {
  it("sends only the filters that are set, the user trimmed", () => {
    expect(filterQuery({ user: "" })).toEqual({});
    expect(filterQuery({ keyId: 4, user: "  " })).toEqual({ key_id: 4 });
    expect(filterQuery({ user: " alice " })).toEqual({ user: "alice" });
  });
});

describe("renaming a conversation", () => {
  it("saves the trimmed title and closes the form; Cancel leaves the title alone", async () => {
    const onRename = vi.fn().mockResolvedValue(undefined);
    const { getByLabelText, getByRole, queryByLabelText } = render(
      <ConversationList conversations={[conversation({ id: 7, title: "Old" })]} selectedId={undefined} onOpen={vi.fn()} onDelete={vi.fn()} onRename={onRename} />,
    );
    fireEvent.click(getByLabelText("Rename conversation: Old"));
    fireEvent.click(getByRole("button", { name: "Cancel" }));
    expect(onRename).not.toHaveBeenCalled();

    fireEvent.click(getByLabelText("Rename conversation: Old"));
    fireEvent.change(getByLabelText("New title for Old"), { target: { value: "  New name " } });
    fireEvent.click(getByRole("button", { name: "Save" }));
    expect(onRename).toHaveBeenCalledWith(expect.objectContaining({ id: 7 }), "New name");
    await waitFor(() => expect(queryByLabelText("New title for Old")).toBeNull());
  });
});
