import { mount } from "../../lib/mount";
import { requireToken } from "../../lib/session";
import { Dashboard } from "./Dashboard";

if (requireToken()) mount(<Dashboard />);
