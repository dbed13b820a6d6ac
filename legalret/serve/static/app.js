// legalret page: vanilla JS, no framework, no network beyond this server's /api.
// Text from the index is put into the page with textContent / text nodes only (never innerHTML).
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "legalret-token";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function headers() {
  const t = sessionStorage.getItem(TOKEN_KEY);
  return t ? { Authorization: "Bearer " + t } : {};
}

async function api(path) {
  const res = await fetch(path, { headers: headers() });
  let body = null;
  try { body = await res.json(); } catch (e) { body = { error: res.statusText }; }
  if (res.status === 401) $("token-box").hidden = false;
  if (!res.ok) throw new Error(body && body.error ? body.error : "HTTP " + res.status);
  return body;
}

function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

// The text with every matched term wrapped in <mark>, as DOM nodes.
function highlighted(text, terms) {
  const frag = document.createDocumentFragment();
  if (!terms || !terms.length) { frag.appendChild(document.createTextNode(text)); return frag; }
  const re = new RegExp(terms.map(escapeRe).join("|"), "g");
  let last = 0, m;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    if (m.index > last) frag.appendChild(document.createTextNode(text.slice(last, m.index)));
    frag.appendChild(el("mark", null, m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
  return frag;
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {  // http on a LAN address has no clipboard API: fall back to a selected textarea
    const ta = el("textarea"); ta.value = text; document.body.appendChild(ta); ta.select();
    try { document.execCommand("copy"); } catch (e2) { /* the text stays selected for Ctrl+C */ }
    ta.remove();
  }
  const old = button.textContent;
  button.textContent = "복사됨"; button.classList.add("copied");
  setTimeout(() => { button.textContent = old; button.classList.remove("copied"); }, 1500);
}

function explainPanel(hit) {
  const panel = el("div", "explain-panel");
  panel.hidden = true;
  const precedents = hit.precedents || [];
  if (precedents.length) {
    panel.appendChild(el("h3", null, "근거 판례 (이 조문을 인용한 유사 판결)"));
    const table = el("table", "precedents");
    const head = table.createTHead().insertRow();
    for (const h of ["사건번호", "선고일자", "비슷했던 부분", "유사도"]) head.appendChild(el("th", null, h));
    const body = table.createTBody();
    for (const p of precedents) {
      const row = body.insertRow();
      row.className = "precedent";
      row.appendChild(el("td", "case", p.case_no));
      row.appendChild(el("td", "date", p.decided));
      // matched: "holding" (a 판시사항 item resembled the query) or "facts" (the facts the court found did)
      const what = p.matched === "facts" ? "사실관계: " : "판시사항 " + (p.index ? "[" + p.index + "] " : "");
      const text = p.text.length > 300 ? p.text.slice(0, 299) + "…" : p.text;
      row.appendChild(el("td", null, what + text));
      row.appendChild(el("td", null, p.similarity === null ? "" : p.similarity.toFixed(2)));
    }
    panel.appendChild(table);
  }
  const other = (hit.reasons || []).filter((r) => !r.startsWith("판례 ") && !r.startsWith("facts: 판례 "));
  panel.appendChild(el("h3", null, "검색기별 순위"));
  const ul = el("ul", "reasons");
  const ranks = Object.entries(hit.ranks || {});
  if (other.length) for (const r of other) ul.appendChild(el("li", null, r));
  else for (const [name, rank] of ranks) ul.appendChild(el("li", null, name + ": " + rank + "위"));
  if (!ul.children.length) ul.appendChild(el("li", null, "설명 없음"));
  panel.appendChild(ul);
  if (!precedents.length) panel.appendChild(el("p", "muted", "이 조문을 인용한 유사 판례가 없습니다 (이 색인에 판례 메모리가 없거나, 비슷한 판결이 이 조문을 인용하지 않았습니다)."));
  return panel;
}

function renderHit(hit, rank, terms) {
  const li = el("li", "hit");
  li.dataset.key = hit.key;
  const head = el("div", "hit-head");
  head.appendChild(el("span", "rank", rank + "."));
  head.appendChild(el("span", "hit-key", hit.key));
  if (hit.title) head.appendChild(el("span", "hit-title", hit.title));
  if (hit.kind) head.appendChild(el("span", "badge", hit.kind));
  if (hit.deleted) head.appendChild(el("span", "badge deleted", "삭제"));
  if (hit.ranks && hit.ranks.citation) head.appendChild(el("span", "badge", "정확 인용"));
  head.appendChild(el("span", "score", "점수 " + hit.score.toFixed(3)));
  li.appendChild(head);

  const text = el("div", "hit-text");
  text.appendChild(highlighted(hit.text || "", terms));
  if ((hit.text || "").length > 400) text.classList.add("clipped");
  li.appendChild(text);

  const actions = el("div", "actions");
  const panel = explainPanel(hit);
  const explain = el("button", "explain", "근거 보기");
  explain.type = "button";
  explain.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    explain.textContent = panel.hidden ? "근거 보기" : "근거 닫기";
  });
  actions.appendChild(explain);
  if (text.classList.contains("clipped")) {
    const more = el("button", "more", "전문 보기");
    more.type = "button";
    more.addEventListener("click", () => { text.classList.toggle("clipped"); more.textContent = text.classList.contains("clipped") ? "전문 보기" : "접기"; });
    actions.appendChild(more);
  }
  const copy = el("button", "copy", "인용 복사");
  copy.type = "button";
  copy.title = hit.citation;
  copy.addEventListener("click", () => copyText(hit.citation, copy));
  actions.appendChild(copy);
  actions.appendChild(el("code", "cite", hit.citation));
  li.appendChild(actions);
  li.appendChild(panel);
  return li;
}

function params() {
  const p = new URLSearchParams();
  p.set("q", $("q").value);
  for (const name of ["law", "kind", "mode", "k"]) if ($(name).value) p.set(name, $(name).value);
  return p;
}

async function search(pushState) {
  const q = $("q").value.trim();
  if (!q) return;
  const p = params();
  if (pushState) history.pushState(null, "", "/?" + p.toString());
  p.set("explain", "1");
  const status = $("status");
  status.className = ""; status.textContent = "검색 중…";
  $("results").replaceChildren(); $("notices").replaceChildren();
  try {
    const res = await api("/api/search?" + p.toString());
    for (const n of res.notices || []) $("notices").appendChild(el("li", null, n));
    const list = $("results");
    res.hits.forEach((hit, i) => list.appendChild(renderHit(hit, i + 1, res.terms)));
    status.textContent = res.hits.length
      ? `${res.hits.length}건 · ${res.mode} · ${res.took_ms.toFixed(0)} ms · ${res.generation}`
      : "일치하는 조문이 없습니다.";
  } catch (e) {
    status.className = "error"; status.textContent = "오류: " + e.message;
  }
}

function fillSelect(select, values) {
  for (const v of values) { const o = el("option", null, v); o.value = v; select.appendChild(o); }
}

function fromUrl() {
  const p = new URLSearchParams(location.search);
  $("q").value = p.get("q") || "";
  for (const name of ["law", "kind", "mode", "k"]) if (p.get(name)) $(name).value = p.get(name);
  return !!p.get("q");
}

function init() {
  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); search(true); });
  $("token-save").addEventListener("click", () => {
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token-box").hidden = true; start();
  });
  window.addEventListener("popstate", () => { if (fromUrl()) search(false); });
  start();
}

async function start() {
  $("law").replaceChildren(el("option", null, "전체")); $("law").firstChild.value = "";
  $("kind").replaceChildren(el("option", null, "전체")); $("kind").firstChild.value = "";
  $("status").className = ""; $("status").textContent = "";
  try {
    const meta = await api("/api/meta");
    fillSelect($("law"), meta.laws); fillSelect($("kind"), meta.kinds);
    if (!meta.dense) $("mode").value = "bm25";
    $("health").textContent = `${meta.generation} · 법령 ${meta.laws.length}개`;
  } catch (e) {
    $("status").className = "error"; $("status").textContent = "서버에 연결할 수 없습니다: " + e.message;
    return;
  }
  if (fromUrl()) search(false);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init, { once: true });
else init();
