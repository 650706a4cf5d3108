import { mount } from "../../lib/mount";
import { requireToken } from "../../lib/session";
import { ChatPage } from "./ChatPage";

if (requireToken()) mount(<ChatPage />);
