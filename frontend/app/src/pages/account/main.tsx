import { mount } from "../../lib/mount";
import { requireToken } from "../../lib/session";
import { AccountPage } from "./AccountPage";

if (requireToken()) mount(<AccountPage />);
