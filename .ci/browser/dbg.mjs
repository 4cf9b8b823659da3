import { chromium } from "playwright-core";
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox","--headless","--disable-gpu"] });
const c = await b.newContext(); const p = await c.newPage();
p.on("response", async r => { if (r.request().method()==="POST") { console.log(r.status(), await r.request().allHeaders(), r.request().postData(), (await r.text()).slice(0,500)); }});
await p.goto("http://127.0.0.1:18765/laboratori/co-programmazione-2027/iscrizione");
await p.click("form.form button[type=submit]");
await p.waitForTimeout(2000);
await b.close();
