// The embeddable chat widget. A site adds
//   <script src="https://HOST/widget.js" data-key="cb_pk_..." async></script>
// (optional: data-user + data-user-hash for signed-in visitors, data-title, data-greeting, data-color) and gets
// a chat bubble that talks to HOST only, through the publishable key.
import { Api } from "./api.js";
import { findScript, openStore, readConfig, visitorId } from "./config.js";
import { Widget } from "./ui.js";

const script = findScript();
const cfg = script && readConfig(script);
if (cfg) {
  const mount = () => {
    if (document.querySelector("[data-chatbot-widget]")) return; // the script was included twice
    const store = openStore();
    const widget = new Widget(cfg, new Api(cfg, () => visitorId(store)), store);
    document.body.append(widget.host);
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
}
