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

async function api(path, signal) {
  const res = await fetch(path, { headers: headers(), signal });
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
  let copied = true;
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {  // http on a LAN address has no clipboard API: fall back to a selected textarea
    // out of sight where the page already is (no scroll jump), and focus back on the button afterwards
    const ta = el("textarea"); ta.value = text; ta.setAttribute("readonly", "");
    ta.style.cssText = "position:fixed;top:0;left:-9999px;opacity:0";
    document.body.appendChild(ta); ta.select();
    try { copied = document.execCommand("copy"); } catch (e2) { copied = false; }
    ta.remove();
    button.focus({ preventScroll: true });
  }
  const old = button.textContent;
  button.textContent = copied ? "복사됨" : "복사 실패 — 인용문을 직접 선택해 복사하세요";
  button.classList.add(copied ? "copied" : "copy-failed");
  setTimeout(() => { button.textContent = old; button.classList.remove("copied", "copy-failed"); }, copied ? 1500 : 4000);
}

// "상위 50위 밖" / "3위": one retriever's rank, as the page says it.
function rankText(signal) {
  if (signal.rank === null || signal.rank === undefined) return signal.outside ? `상위 ${signal.outside}위 밖` : "순위 밖";
  return signal.rank + "위";
}

// What one bar of the learned re-ranker's reasons says it did. A contribution is measured from the average candidate
// (legalret/search/ranker.py: they sum to the score less that of a candidate at the training mean), not from the
// hit's rank: a retriever that ranked the article 1st can still count against it, when its signal is weaker than the
// re-ranker expects — the bar had said "순위를 내림" beside "유사 판례 투표 1위", which read as a contradiction.
function contributionDir(c) { return c.direction > 0 ? "가점" : "감점"; }
const CONTRIBUTION_HEADING = "순위를 정한 근거 (학습된 재정렬기의 가점·감점, 큰 것부터)";
const CONTRIBUTION_NOTE = "보통 후보와 견준 점수입니다. 검색기 순위가 높아도 그 신호가 보통보다 약하면 감점일 수 있습니다.";

// The learned re-ranker's reasons, one bar per retriever: how much it added to (or took from) this article's score.
function contributionBars(contributions) {
  const list = el("ul", "contributions");
  for (const c of contributions) {
    const li = el("li", c.direction > 0 ? "up" : "down");
    li.appendChild(el("span", "label", c.label));
    const bar = el("span", "bar");
    const fill = el("span", "fill");
    fill.style.width = Math.max(4, Math.round(c.share * 100)) + "%";
    bar.appendChild(fill);
    li.appendChild(bar);
    li.appendChild(el("span", "dir", contributionDir(c)));
    list.appendChild(li);
  }
  return list;
}

// The search modes that do not look at precedents: an article's panel there says so, not "no precedent cites it".
const NO_PRECEDENTS = new Set(["bm25", "dense"]);

function explainPanel(hit, mode) {
  const panel = el("div", "explain-panel");
  panel.hidden = true;
  const precedents = hit.precedents || [];
  if (precedents.length) {
    panel.appendChild(el("h3", null, "근거 판례 (이 조문을 인용한 유사 판결)"));
    const table = el("table", "precedents");
    const head = table.createTHead().insertRow();
    for (const h of ["사건번호", "선고일자", "비슷했던 부분", "상대 유사도"]) head.appendChild(el("th", null, h));
    // (the memory scales its similarities so that the closest decision is 1: "100%" had read as "the same case")
    head.lastChild.title = "이 질문에 가장 비슷한 판례를 100%로 놓은 상대 값입니다 (같은 사건이라는 뜻이 아닙니다).";
    const body = table.createTBody();
    for (const p of precedents) {
      const row = body.insertRow();
      row.className = "precedent";
      const cell = el("td", p.case_no.includes(",") ? "case joined" : "case");  // (twenty joined numbers: wrap)
      if (p.url) {  // the whole decision on 국가법령정보센터
        const link = el("a", null, p.case_no);
        link.href = p.url; link.target = "_blank"; link.rel = "noopener";
        cell.appendChild(link);
      } else cell.textContent = p.case_no;
      row.appendChild(cell);
      row.appendChild(el("td", "date", p.decided));
      // matched: "holding" (a 판시사항 item resembled the query) or "facts" (the facts the court found did);
      // excerpt: the facts from where they start (without "상고이유를 판단한다." and the like)
      const what = p.matched === "facts" ? "사실관계: " : "판시사항 " + (p.index ? "[" + p.index + "] " : "");
      const full = p.excerpt || p.text;
      const text = full.length > 300 ? full.slice(0, 299) + "…" : full;
      row.appendChild(el("td", "excerpt", what + text));
      row.appendChild(el("td", "sim", p.similarity === null ? "" : Math.round(p.similarity * 100) + "%"));
    }
    panel.appendChild(table);
  }
  panel.appendChild(el("h3", null, "검색기별 순위"));
  const ul = el("ul", "signals");
  for (const sig of hit.signals || []) {
    const li = el("li", sig.rank ? null : "outside");
    li.appendChild(el("span", "label", sig.label));
    li.appendChild(document.createTextNode(" " + rankText(sig)));
    ul.appendChild(li);
  }
  if (!ul.children.length) ul.appendChild(el("li", null, "설명 없음"));
  panel.appendChild(ul);
  if ((hit.contributions || []).length) {
    panel.appendChild(el("h3", null, CONTRIBUTION_HEADING));
    panel.appendChild(el("p", "muted contribution-note", CONTRIBUTION_NOTE));
    panel.appendChild(contributionBars(hit.contributions));
  }
  if (!precedents.length) panel.appendChild(el("p", "muted", (hit.ranks || {}).citation
    ? "질문이 직접 인용한 조문(또는 질문이 든 판결의 참조조문)이라 유사 판례 투표 없이 맨 앞에 두었습니다."
    : NO_PRECEDENTS.has(mode)
      ? "이 검색 방식은 판례를 보지 않습니다 (유사 판례를 보려면 검색 방식을 기본 또는 유사 판례 투표로 바꾸세요)."
      : "이 조문을 인용한 유사 판례가 없습니다 (이 색인에 판례 메모리가 없거나, 비슷한 판결이 이 조문을 인용하지 않았습니다)."));
  return panel;
}

// The decisions the query named by 사건번호: what each held, and the articles it cites (first among the hits).
function renderDecisions(decisions) {
  const box = $("decisions");
  for (const d of decisions) {
    const card = el("div", "decision");
    const head = el("h3");
    if (d.url) {
      const link = el("a", null, d.case_no);
      link.href = d.url; link.target = "_blank"; link.rel = "noopener";
      head.appendChild(link);
    } else head.appendChild(document.createTextNode(d.case_no));
    head.appendChild(document.createTextNode(` (${d.decided} 선고)`));
    card.appendChild(head);
    const held = el("ol", "holdings");
    for (const h of d.holdings || []) held.appendChild(el("li", null, h));
    card.appendChild(held);
    card.appendChild(el("p", "muted", "참조조문: " + (d.articles || []).join(", ")));
    box.appendChild(card);
  }
  box.hidden = !decisions.length;
}

// --- 관련도: what the hit's 0–100 number is, by what made it (the API's relevance, shown as it is) ---------------------
// In 종합 with the learned re-ranker (the hit has a probability) it is 100 × the re-ranker's probability that this
// article is THE answer among the candidates it scored: a softmax share, split between articles that answer together
// (a plainly applicable article can read 3, or round to 0). Elsewhere it is the score as a share of the answer's best
// (the top hit 100); a citation is 100; a nearest guess has none (null).

function isCitation(hit) { return !!(hit.ranks && hit.ranks.citation); }
function viaDecision(hit) { return (hit.reasons || []).some((r) => r.startsWith("cited by decision")); }
function hasProbability(hit) { return hit.probability !== null && hit.probability !== undefined; }

// The number as the page shows it, or null for none. A positive share that rounds to 0 reads "<1": a bare 0 had read
// as "irrelevant" for articles that plainly apply (유치권 간접점유: 0 on 8 of 10 hits).
function relevanceText(hit) {
  if (hit.relevance === null || hit.relevance === undefined) return null;
  if (hit.relevance < 1 && !isCitation(hit) && (hasProbability(hit) || Number(hit.score) > 0)) return "<1";
  return String(hit.relevance);
}

// The hover text of one hit's number: what this number is, in this answer.
function relevanceTitle(hit) {
  if (isCitation(hit)) {
    return viaDecision(hit) ? "정확 인용: 질의한 판례의 참조조문이라 100입니다."
      : "정확 인용: 질문이 직접 인용한 조문이라 100입니다.";
  }
  if (hasProbability(hit)) {
    const value = relevanceText(hit) === "<1" ? "1% 미만" : `${hit.relevance}%`;
    return `검색된 후보 조문 가운데 이 조문이 질문의 답일 확률(${value})입니다. ` +
      "여러 조문이 함께 답이 되면 확률을 나눠 가지므로, 숫자가 낮아도 적용되는 조문일 수 있습니다.";
  }
  return "상위 조문 대비 점수: 이 검색 결과의 1위 조문을 100으로 놓은 상대 값입니다 (확률이 아닙니다).";
}

// The one visible line above the hits: what the numbers of this answer mean ("" when no hit has one).
function relevanceNote(hits) {
  const numbered = hits.filter((h) => relevanceText(h) !== null);
  if (!numbered.length) return "";
  if (numbered.some(hasProbability)) {
    return "관련도: 후보 조문 중 각 조문이 답일 확률(%). 여러 조문이 함께 답이면 나눠 가지므로 낮아도 적용될 수 있습니다.";
  }
  if (numbered.every(isCitation)) return "관련도 100: 질문이 직접 인용한 조문(또는 질의한 판례의 참조조문)입니다.";
  return "관련도: 상위 조문 대비 점수 — 1위 조문을 100으로 놓은 상대 값이며, 적용될 확률은 아닙니다.";
}

function renderHit(hit, rank, terms, mode) {
  const li = el("li", "hit");
  li.dataset.key = hit.key;
  const head = el("div", "hit-head");
  head.appendChild(el("span", "rank", rank + "."));
  head.appendChild(el("span", "hit-key", hit.key));
  if (hit.title) head.appendChild(el("span", "hit-title", hit.title));
  if (hit.kind) head.appendChild(el("span", "badge", hit.kind));
  if (hit.deleted) head.appendChild(el("span", "badge deleted", "삭제"));
  if (hit.takes_effect) head.appendChild(el("span", "badge pending", `${hit.takes_effect} 시행 예정`));
  if (isCitation(hit)) {  // the query's own citation, or one of a decision it named by 사건번호
    head.appendChild(el("span", "badge", viaDecision(hit) ? "질의한 판례의 참조조문" : "정확 인용"));
  }
  if (hit.url) {  // the article in force on 국가법령정보센터
    const link = el("a", "law-link", "법령 원문");
    link.href = hit.url; link.target = "_blank"; link.rel = "noopener";
    head.appendChild(link);
  }
  // a 0–100 relevance, never the ranker's raw score (a logit: negative numbers would read as "minus points"); what it
  // means is said on hover here and, for touch screens, in the line above the hits (relevanceNote)
  const shown = relevanceText(hit);
  if (shown !== null) {
    const rel = el("span", "score", "관련도 " + shown);
    rel.title = relevanceTitle(hit);
    head.appendChild(rel);
  }
  li.appendChild(head);

  const text = el("div", "hit-text");
  text.appendChild(highlighted(hit.text || "", terms));
  if ((hit.text || "").length > 400) text.classList.add("clipped");
  li.appendChild(text);

  const actions = el("div", "actions");
  const panel = explainPanel(hit, mode);
  const explain = el("button", "explain", "근거 보기");
  explain.type = "button";
  // (a screen reader's list of buttons had shown ten identical "근거 보기": each names its article, and says whether
  // its panel is open)
  panel.id = "why-" + Math.random().toString(36).slice(2);
  explain.setAttribute("aria-controls", panel.id);
  explain.setAttribute("aria-expanded", "false");
  explain.setAttribute("aria-label", `${hit.key} 근거 보기`);
  explain.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    explain.textContent = panel.hidden ? "근거 보기" : "근거 닫기";
    explain.setAttribute("aria-expanded", String(!panel.hidden));
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
  copy.setAttribute("aria-label", `${hit.key} 인용 복사`);
  copy.title = hit.citation;
  copy.addEventListener("click", () => copyText(hit.citation, copy));
  actions.appendChild(copy);
  actions.appendChild(el("code", "cite", hit.citation));
  li.appendChild(actions);
  li.appendChild(panel);
  return li;
}

// The longest query the server searches (from /api/meta); longer pasted text is cut, with a visible note.
let maxQueryChars = null;

// Characters as the server counts them (code points): an emoji or a rare Hanja is two UTF-16 units in JavaScript.
function chars(s) { return Array.from(s); }

// The text as the server counts it (legalret.text.normalize): composed Hangul (NFC: macOS pastes it decomposed, 2–3
// units a syllable) and every run of spaces and line breaks as one space — a pasted judgment's indentation had been
// counted, and text the server would have searched was cut here.
function counted(s) { return s.normalize("NFC").split(/\s+/).filter(Boolean).join(" "); }

function queryText() {
  const q = $("q").value.trim();
  if (!maxQueryChars || q.length <= maxQueryChars) return q;  // (fewer units: fewer characters)
  const all = chars(counted(q));
  return all.length > maxQueryChars ? all.slice(0, maxQueryChars).join("") : q;
}

function showLengthNote() {
  const q = $("q").value.trim();
  const note = $("long-note");
  const n = maxQueryChars && q.length > maxQueryChars ? chars(counted(q)).length : 0;
  if (n > maxQueryChars) {
    note.textContent = `입력한 글이 ${n.toLocaleString()}자입니다. 검색은 앞 ${maxQueryChars.toLocaleString()}자까지만 합니다 ` +
      `(나머지 ${(n - maxQueryChars).toLocaleString()}자는 검색에 쓰이지 않습니다).`;
    note.hidden = false;
  } else {
    note.hidden = true; note.textContent = "";
  }
}

function growBox() {
  const q = $("q");
  q.style.height = "auto";
  q.style.height = Math.min(q.scrollHeight + 2, 240) + "px";
}

// The server's notices in Korean (the API writes them in English for scripts); unknown ones as they are.
// Each pattern is anchored on a notice's stable leading words (tests/test_page_notices.py checks that every
// notice the server can emit has one); the texts come from legalret/search/ and legalret/config.py.
const NOTICE_KO = [
  [/^answered from generation (\S+): the index's newer generation could not be opened/,
   (m) => `색인의 새 버전을 열 수 없어 이전 버전(${m[1]})으로 답했습니다. 서버 없이 검색하면 오류가 납니다 — 색인을 고치거나 다시 만들거나 \`legalret index rollback\`으로 되돌리세요.`],
  [/^query cut to its first ([\d,]+) of ([\d,]+) characters/, (m) => `검색어가 길어 앞 ${m[1]}자만 검색했습니다 (전체 ${m[2]}자).`],
  [/^the query looked like Korean text decoded with the wrong encoding \(UTF-8 read as cp1252\/latin-1\); searched for its repair: '(.*)'$/s,
   (m) => `검색어가 잘못된 인코딩으로 깨진 한글로 보여, 복원한 '${m[1]}'${josa(m[1], "으로", "로")} 검색했습니다.`],
  [/^the query looked like Korean text decoded with the wrong encoding, and its repair is uncertain \(.*?confidence ([\d.]+) for '(.*?)'\); searched for '(.*)' — /s,
   (m) => `검색어가 깨진 한글로 보여 복원했지만 확실하지 않습니다 ('${m[2]}' 신뢰도 ${m[1]}). '${m[3]}'${josa(m[3], "으로", "로")} 검색했습니다 — 의도한 질문이 아니면 다시 입력하세요.`],
  [/^the query looked like Korean text decoded with the wrong encoding, and its repair rebuilt (\d+) characters? from lost bytes \((.*?)\); searched for '(.*)' — /s,
   (m) => `검색어가 잘못된 인코딩으로 깨진 한글로 보여, 잃어버린 바이트에서 ${m[1]}자를 짐작해 복원한 '${m[3]}'${josa(m[3], "으로", "로")} 검색했습니다 (${m[2].replace(/, or /g, " 또는 ")}) — 의도한 질문이 아니면 다시 입력하세요.`],
  [/^the query looked like Korean text decoded with the wrong encoding/,
   () => "검색어가 잘못된 인코딩으로 깨진 한글로 보여, 복원한 글로 검색했습니다. 의도한 질문이 아니면 다시 입력하세요."],
  [/^Hanja read in Hangul: (.*)$/s, (m) => `검색어의 한자를 한글로 읽어 검색했습니다: ${m[1]}`],
  [/^short law names read in full: (.*)$/s, (m) => `법령 약칭을 정식 이름으로 읽어 검색했습니다: ${m[1]}`],
  [/^law filter '(.+?)' read as the laws of the corpus (\S+) this index holds \((\d+)\): (.*)$/s,
   (m) => `법령 필터 '${m[1]}'${josa(m[1], "은", "는")} 이 색인에 있는 ${m[2]} 분야의 법령 ${m[3]}개로 읽었습니다: ${m[4]}`],
  [/^law names read as renamed: (.*?) \(index add --rename\)$/s,
   (m) => `이 색인에서 이름을 바꾼 법령의 옛 이름을 새 이름으로 읽어 검색했습니다: ${m[1]}`],
  [/^the query was cut to its first ([\d,]+) of ([\d,]+) characters before its repair/, (m) => `깨진 검색어가 길어 앞 ${m[1]}자만 복원했습니다 (전체 ${m[2]}자).`],
  [/^cited article (.+?)(?: \((.+)\))? is not in this index: (.+?) as indexed has (\S+) but no (\S+)$/,
    (m) => `인용한 조문 ${m[1]}${josa(m[1], "은", "는")} 없는 조문입니다: 색인된 ${m[3]}에는 ${m[4]}${josa(m[4], "은", "는")} 있지만 ${m[5]}${josa(m[5], "은", "는")} 없습니다.`],
  [/^cited article (.+?)(?: \((.+)\))? is not in this index: (.+?) as indexed has no article (\S+)$/,
    (m) => `인용한 조문 ${m[1]}${josa(m[1], "은", "는")} 없는 조문입니다: 색인된 ${m[3]}에는 ${m[4]}${josa(m[4], "이", "가")} 없습니다.`],
  [/^cited article (.+?)(?: \((.+)\))? is not in this index(?:: (.+?) as indexed has no such article \(its last is (.+?)\))?/,
    (m) => m[3] ? `인용한 조문 ${m[1]}${josa(m[1], "은", "는")} 없는 조문입니다: 색인된 ${m[3]}의 마지막 조문은 ${m[4]}입니다.`
                : `인용한 조문 ${m[1]}${josa(m[1], "은", "는")} 이 색인에 없습니다.`],
  [/^not yet in force: (.+?) — the text shown takes effect then/,
   (m) => `아직 시행되지 않은 조문입니다: ${m[1].replace(/\(from (\d{4}-\d{2}-\d{2})\)/g, "($1 시행)")}. ` +
     "보이는 글은 그날부터 시행되는 글이며, 지금 시행 중인 글은 다를 수 있습니다 (국가법령정보센터에서 확인하세요)."],
  [/^cited article (.+?) is deleted/, (m) => `인용한 조문 ${m[1]}${josa(m[1], "은", "는")} 삭제된 조문입니다.`],
  [/^cited article (.+?) has no (\S.*)$/, (m) => `인용한 조문 ${m[1]}에는 ${m[2]}${josa(m[2], "이", "가")} 없습니다.`],
  [/^cited articles of (.+?) are listed though the law filter is (.+?): the query cites them/, (m) => `질문이 인용한 ${m[1]} 조문은 법령 필터(${m[2]}) 밖이지만 함께 보여 줍니다.`],
  [/^cited articles of (.+?) are listed though the kind filter is (.+?): the query cites them/, (m) => `질문이 인용한 ${m[1]} 조문은 종류 필터(${m[2]}) 밖이지만 함께 보여 줍니다.`],
  [/^'(.+?)' cites a former text of (.+?) \(구\): today's (.+?) is listed/,
   (m) => `'${m[1]}'${josa(m[1], "은", "는")} ${m[2]}의 옛 조문(구법)을 인용합니다. 지금의 ${m[3]}${josa(m[3], "을", "를")} 보여 주지만, 글과 그 번호가 가리키는 내용은 다를 수 있습니다.`],
  [/^'(.+?)': the Constitution \(대한민국헌법\) is not in the statutes mirror/,
   (m) => `'${m[1]}': 헌법은 법령 자료(법률·시행령)에 없어 어느 색인에도 없습니다.`],
  [/^the cited range (.+?) holds ([\d,]+) articles between its ends, ([\d,]+) of them deleted \(삭제\): the first ([\d,]+)/,
   (m) => `인용한 범위 ${m[1]}의 두 끝 사이에는 조문이 ${m[2]}개 있습니다` +
     (m[3] === "0" ? ` (앞의 ${m[4]}개만 보여 줍니다).` : ` (그중 ${m[3]}개는 삭제된 조문이며, 삭제되지 않은 조문 중 앞의 ${m[4]}개만 보여 줍니다).`)],
  [/^the cited range '(.+?)' is written high end first: read as (.+)$/,
   (m) => `인용한 범위 '${m[1]}'${josa(m[1], "은", "는")} 큰 번호가 먼저 적혀 있어 ${m[2]} 범위로 읽었습니다.`],
  [/^(.+?) names an area of law, not one law: the corpus (\S+) lists its laws \((.+?)\); add them with `(.+?)`/,
   (m) => `${m[1]}${josa(m[1], "은", "는")} 하나의 법령이 아니라 법 분야입니다. 이 색인에는 그 분야의 법령(${m[3]})이 없습니다. 추가하려면: \`${m[4]}\``],
  [/^'(.+?)': a question about a crime — (.+?), where crimes and their punishments are, is not in this index(?: \((?:add it with `(.+?)`|.*)\))?/,
   (m) => `'${m[1]}': 범죄에 관한 질문으로 보입니다. 범죄와 형벌을 정한 ${m[2]}${josa(m[2], "이", "가")} 이 색인에 없습니다.` +
     (m[3] ? ` 추가하려면: \`${m[3]}\`` : "")],
  [/^'(.+?)': a question about (\S+) — the corpus (\S+) \((.+?)\) is not in this index; add it with `(.+?)`/,
   (m) => `'${m[1]}': ${m[2]} 분야의 질문으로 보입니다. 그 분야의 법령(${m[4].replace(/ … (\d+) laws$/, " 등 $1개")})이 이 색인에 없습니다. 추가하려면: \`${m[5]}\``],
  [/^'(.+?)': (?!no law is named)(.+?) is not in this index(?: \((?:did you mean (.+?)\?|add it with `(.+?)`|(the statutes mirror has no law named .+? either))\))?/,
   (m) => `'${m[1]}': ${m[2]}${josa(m[2], "은", "는")} 이 색인에 없는 법령입니다.` + (m[3] ? ` ${m[3]}${josa(m[3], "을", "를")} 찾으셨나요?` : "") +
     (m[4] ? ` 추가하려면: \`${m[4]}\`` : "") + (m[5] ? " 법령 자료(legalize-kr)에도 그런 이름의 법령이 없습니다." : "")],
  [/^decision (\S+) is not among the precedents/, (m) => `판례 ${m[1]}${josa(m[1], "은", "는")} 이 색인의 판례 기억에 없습니다.`],
  [/^decision (\S+) cannot be looked up: this index has no precedent memory/,
   (m) => `판례 ${m[1]}${josa(m[1], "을", "를")} 찾을 수 없습니다: 이 색인에는 판례 기억이 없습니다 (--precedents 없이 만든 색인).`],
  [/^decision (.+?) cites no article of this index/, (m) => `판례 ${m[1]}${josa(m[1], "이", "가")} 인용한 조문은 이 색인에 없습니다.`],
  [/^decision (.+?): the articles of this index it cites come first \(([\d,]+)\)/,
   (m) => `판례 ${m[1]}${josa(m[1], "이", "가")} 인용한 이 색인의 조문 ${m[2]}개를 먼저 보여 줍니다.`],
  [/^decision (.+?) cites ([\d,]+) articles of this index: its first ([\d,]+)/,
   (m) => `판례 ${m[1]}${josa(m[1], "이", "가")} 인용한 이 색인의 조문은 ${m[2]}개입니다 (앞의 ${m[3]}개만 보여 줍니다).`],
  [/^'(.+?)': the index holds no 부칙/, (m) => `'${m[1]}': 부칙 조문은 색인에 없습니다 (법령 본문의 조문만 검색합니다).`],
  [/^'(.+?)': no law is named (.+?) \(did you mean (.+?)\?( it is not in this index)?(?:; add it with `(.+?)`)?/,
   (m) => `'${m[1]}': ${m[2]}${josa(m[2], "이라는", "라는")} 법령은 없습니다. ${m[3]}${josa(m[3], "을", "를")} 찾으셨나요?` +
     (m[4] ? ` (${m[3]}${josa(m[3], "은", "는")} 이 색인에 없는 법령입니다.)` : "") + (m[5] ? ` 추가하려면: \`${m[5]}\`` : "")],
  [/^'(.+?)' names no law/, (m) => `'${m[1]}'에 법령 이름이 없습니다. 예: '민법 ${m[1]}'`],
  [/^'(.+?)': no law is named before it/, (m) => `'${m[1]}': 앞에 법령 이름이 없습니다. 법령 이름을 함께 쓰세요.`],
  [/^'(.+?)' only names (?:a law|laws): the hits are articles that mention/,
   (m) => `'${m[1]}'${josa(m[1], "은", "는")} 법령 이름일 뿐입니다. 아래 결과는 그 이름이 들어 있는 조문입니다 — 찾는 내용을 함께 쓰거나, 조문을 인용하거나 ('${m[1].split(", ")[0]} 제1조'), 법령 필터를 쓰세요.`],
  [/^the query has no searchable words/, () => "검색할 낱말이 없습니다 (문장부호·기호·조사뿐입니다). 낱말이나 '민법 제750조' 같은 조문을 입력하세요."],
  // coverage (legalret/search/coverage.py): none, or under half, of the query's words occur in any article
  [/^nothing in the query matched this index: the query has no Korean words/, (m) => {
    const words = quotedWords(m.input, /contains (.*?)(?:;|$)/s);
    return `검색어에 한글이나 한자가 없습니다${words ? ` (${words})` : ""}. ` +
      "한국 법령을 한국어로 검색하므로 아래 결과는 추측일 뿐입니다 — 한국어로 물어보세요 (예: '불법행위 손해배상', '민법 제750조').";
  }],
  [/^nothing in the query matched this index within the filter \((.+?)\): no article of it contains/, (m) => {
    const words = quotedWords(m.input, /contains (.*?)(?:;|$)/s);
    return `검색어의 낱말이 필터(${m[1]})의 어느 조문에도 없습니다${words ? ` (${words})` : ""}. ` +
      "아래 결과는 가장 가까운 추측일 뿐입니다 — 필터를 넓히거나 다른 표현으로 검색해 보세요.";
  }],
  [/^nothing in the query matched/, (m) => {
    const words = quotedWords(m.input, /contains (.*?)(?:;|$)/s);
    return `검색어의 낱말이 이 색인의 어느 조문에도 없습니다${words ? ` (${words})` : ""}. ` +
      "아래 결과는 가장 가까운 추측일 뿐입니다 — 철자를 확인하거나 다른 표현으로 검색해 보세요.";
  }],
  [/^no article contains (.*?): the hits are the articles earlier decisions/s, (m) => {
    const words = quotedWords(m.input, /contains (.*?):/s);
    return `검색어의 낱말${words ? `(${words})` : ""}이 어느 조문에도 없어, 같은 낱말을 쓴 이전 판례가 인용한 조문을 보여 줍니다.`;
  }],
  [/^most of the query matched nothing/, (m) => {
    const missing = quotedWords(m.input, /\((.*?) occurs? in no article/s);
    const found = quotedWords(m.input, /rest on (.*?) alone/s);
    return `검색어의 낱말 대부분이 이 색인의 어느 조문에도 없습니다${missing ? ` (${missing})` : ""}. ` +
      (found ? `아래 결과는 ${found}만으로 찾은 것입니다.` : "아래 결과는 검색어의 일부만으로 찾은 것입니다.");
  }],
];

// The quoted words ('유치권', 'foo' …) in the part of a notice that `where` picks out (its group 1), or "".
function quotedWords(text, where) {
  const part = text.match(where);
  if (!part) return "";
  const words = part[1].match(/'[^']*'/g) || [];
  return words.length ? words.join(", ") + (/…\s*$/.test(part[1]) ? " …" : "") : "";
}

// The first pattern of ``table`` the text matches, said in Korean; the text as it is when none does.
function inKorean(table, text) {
  for (const [re, say] of table) { const m = text.match(re); if (m) return say(m); }
  return text;
}

function noticeKo(text) { return inKorean(NOTICE_KO, text); }

// The server's errors a person meets on the page, in Korean (others are shown as they come).
const ERROR_KO = [
  [/^no article of (.+?) is of kind (.+?) \(a .+? is a law of its own here: filter by the law '(.+?)'\)$/,
    (m) => `${m[1]}에는 ${m[2]} 조문이 없습니다. 시행령은 별개의 법령입니다: 법령 필터에서 「${m[3]}」${josa(m[3], "을", "를")} 고르세요.`],
  [/^no article of (.+?) is of kind (.+)$/, (m) => `${m[1]}에는 ${m[2]} 조문이 없습니다.`],
  // (the name as Python's repr writes it: in double quotes when it holds a ')
  [/^unknown law filter (['"])(.+?)\1: the Constitution/,
    (m) => `「${m[2]}」: 헌법은 법령 자료(법률·시행령)에 없어 어느 색인에도 없으므로 검색하지 않았습니다. ${lawsToPick()}`],
  [/^unknown law filter (['"])(.+?)\1(?: \((.+?)\))?: not in this index(?: \((?:did you mean (.+?)\?( it is not in this index either)?|.*)\))?$/s,
    unknownLawKo],
  [/^unknown kind filter '(.+?)': this index has (.*)$/, (m) => `이 색인에 없는 종류입니다: ${m[1]} (이 색인의 종류: ${m[2]})`],
  [/^mode: unknown search mode '(.+?)' \(choose from (.*)\)$/, (m) => `알 수 없는 검색 방식입니다: ${m[1]} (고를 수 있는 것: ${m[2]})`],
  [/^k: /, () => "결과 개수가 올바른 숫자가 아닙니다 (1–100)."],
  [/^k must be between 1 and (\d+)/, (m) => `결과 개수는 1에서 ${m[1]} 사이여야 합니다.`],
  [/missing or wrong bearer token/, () => "이 서버는 접근 토큰이 필요합니다. 위 칸에 토큰을 넣고 저장하세요."],
  [/^(Failed to fetch|NetworkError|Load failed)/, () => "서버에 연결할 수 없습니다. 서버가 켜져 있는지 확인하세요."],
];

function errorKo(text) { return inKorean(ERROR_KO, text); }

// The index's laws and kinds (from /api/meta): the filters' lists, and what a message about a name they lack names.
let indexLaws = [];
let indexKinds = [];
// Up to this many of the index's laws are named in that message; a bigger index (all laws: thousands) is counted.
const NAMED_LAWS = 12;

// The final consonant (a jamo index, 0: none) of each digit as read aloud — 영 일 이 삼 사 오 육 칠 팔 구 — so that
// 민법 제750조의2 takes 는 and 2016다248806 takes 은. A number ending in 0 is read 영, 십, 백, 천 or 만: a final either way.
const DIGIT_FINAL = [21, 8, 0, 16, 0, 0, 1, 8, 8, 0];

// The particle after ``word`` — 은/는, 을/를, 이/가, 으로/로, 이라는/라는 — by how its last syllable or digit is read
// (a final consonant or not; ㄹ takes 로: 법률로); a closing quote or bracket and a trailing "(…)" are not read
// ('구 민법 제750조'는, 근기법 (근로기준법)은). After a word ending in neither, both: "은(는)", "(으)로".
function josa(word, afterFinal, afterVowel) {
  const last = word.trim().replace(/\s*\([^()]*\)$/, "").replace(/['"’”」』]+$/, "").slice(-1);
  const code = last.charCodeAt(0) - 0xac00;
  let final;
  if (code >= 0 && code < 11172) final = code % 28;
  else if (/[0-9]/.test(last)) final = DIGIT_FINAL[Number(last)];
  else if (afterFinal.endsWith(afterVowel)) return `(${afterFinal.slice(0, -afterVowel.length)})${afterVowel}`;
  else return `${afterFinal}(${afterVowel})`;
  return final === 0 || (final === 8 && afterFinal === "으로") ? afterVowel : afterFinal;
}

// What to do about a law the index lacks: pick one it holds (named when they are few) or search every law.
function lawsToPick() {
  if (!indexLaws.length) return "법령 목록에서 고르거나 '전체'로 검색하세요.";
  if (indexLaws.length > NAMED_LAWS) {
    return `법령 목록(이 색인의 법령 ${indexLaws.length.toLocaleString()}개)에서 고르거나 '전체'로 검색하세요.`;
  }
  return `이 색인의 법령(${indexLaws.join(", ")}) 중에서 고르거나 '전체'로 검색하세요.`;
}

// 'unknown law filter …' (legalret/search/filters.py) as one line for a lawyer or a clerk: the law named (its
// reading, or the full name of a short one), that nothing was searched, and what to do — a near name the index
// holds (a link to search with it follows: showError), else the index's laws or 전체. (It had read "이 색인에 없는
// 법령입니다: 형법", and "(혹시 근로기준법?)" for a near name the index lacks too.)
function unknownLawKo(m) {
  const [, , name, reading, close, notHereEither] = m;
  const said = `법령 「${name}」${reading ? `(${reading})` : ""}${josa(reading || name, "은", "는")} 이 색인에 없어 검색하지 않았습니다.`;
  if (close && !notHereEither) {
    const names = close.split(", ");
    return `${said} ${names.map((n) => `「${n}」`).join(" 또는 ")}${josa(names[names.length - 1], "을", "를")} 찾으셨나요?`;
  }
  const near = close ? ` 「${close}」${josa(close, "을", "를")} 찾으셨더라도 그 법령 역시 이 색인에 없습니다.` : "";
  return `${said}${near} ${lawsToPick()}`;
}

// The laws of a law filter's did-you-mean that this index holds (none when the near name is not here either).
function suggestedLaws(text) {
  const m = text.match(/^unknown law filter (['"])(.+?)\1(?: \(.+?\))?: not in this index \(did you mean (.+?)\?\)$/s);
  return m ? { written: m[2], laws: m[3].split(", ").filter((law) => indexLaws.includes(law)) } : { laws: [] };
}

// An error on the status line, in Korean. A filter the index cannot read is the request's problem, not a failure
// ("오류:" is left off); its did-you-mean is a link to the same search with that law.
function showError(text) {
  const status = $("status");
  const said = errorKo(text);
  status.className = "error";
  status.textContent = /^unknown (law|kind) filter/.test(text) ? said : "오류: " + said;
  const { written, laws } = suggestedLaws(text);
  for (const law of laws) {
    const p = new URLSearchParams(location.search);
    const names = (p.get("law") || "").split(",").map((n) => n.trim());
    const at = names.indexOf(written);  // (민법,형법: only the name the index lacks is replaced)
    p.set("law", at >= 0 ? names.map((n, i) => (i === at ? law : n)).filter(Boolean).join(",") : law);
    const link = el("a", "did-you-mean", `「${law}」${josa(law, "으로", "로")} 검색`);
    link.href = "/?" + p.toString();
    status.append(" ", link);
  }
}

function modeLabel(mode) {
  const option = Array.from($("mode").options).find((o) => o.value === mode);
  return option ? option.textContent : mode;
}

function params() {
  const p = new URLSearchParams();
  p.set("q", queryText());
  for (const name of ["law", "kind", "mode", "k"]) if ($(name).value) p.set(name, $(name).value);
  return p;
}

// The parameters the page reads from its address — GET /api/search's, whose answer it shows (explain too: the page
// always asks for the reasons). Any other is named in a notice: ?lwa=민법 (law=, mistyped) had searched every law
// without a word. A name starting with "_" (a cache-buster, _=1700000000000) is passed over, as the API does.
const URL_PARAMS = ["q", "law", "kind", "mode", "k", "explain"];
// At most this many unknown names are spelt out (the API's unknown_names_message: "… and 3 more").
const NAMED_PARAMS = 5;

// How alike two names are, 0–1: twice their longest common subsequence over their lengths (difflib's ratio, which
// the API's did_you_mean uses, counts matching blocks instead; on names this short they agree).
function likeness(a, b) {
  const row = new Array(b.length + 1).fill(0);
  for (const ca of a) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = ca === b[j - 1] ? diagonal + 1 : Math.max(row[j], row[j - 1]);
      diagonal = above;
    }
  }
  return a.length + b.length ? (2 * row[b.length]) / (a.length + b.length) : 0;
}

// The parameter of URL_PARAMS an unknown ``name`` was likely meant as, by the API's rule (legalret/serve/app.py
// did_you_mean): the same name in other letters' case (Q, Law), else the most alike at 0.6 or more (lwa → law,
// kinds → kind); null when none is near.
function paramGuess(name) {
  const low = name.trim().toLowerCase().replace(/-/g, "_");
  const same = URL_PARAMS.find((known) => known === low);
  if (same) return same;
  let best = null;
  let bestScore = 0.6;
  for (const known of URL_PARAMS) {
    const score = likeness(low, known);
    if (score > bestScore || (score === bestScore && best === null)) { best = known; bestScore = score; }
  }
  return best;
}

// A name as the notice shows it (the API's shown_name): cut at 40 characters; an empty one said so, and one of
// spaces or control characters quoted, so it is seen.
function shownParam(name) {
  if (!name) return "(빈 이름)";
  const cut = Array.from(name).slice(0, 40).join("");
  return !name.trim() || /[\p{C}]/u.test(name) ? JSON.stringify(cut) : cut;
}

// The notice for the parameters of ``p`` (the address's) that the page does not read, or "" when it reads them all —
// worded as the API's 400 for them: the names, a did-you-mean where one is near, and the names the page reads.
function unknownParamsNotice(p) {
  const names = [...new Set(p.keys())].filter((name) => !name.startsWith("_") && !URL_PARAMS.includes(name));
  if (!names.length) return "";
  const named = names.slice(0, NAMED_PARAMS);
  const more = names.length > NAMED_PARAMS ? ` 외 ${names.length - NAMED_PARAMS}개` : "";
  const guesses = named.map((name) => [shownParam(name), paramGuess(name)]).filter(([, guess]) => guess);
  const hint = !guesses.length ? ""
    : names.length === 1 ? ` (혹시 ${guesses[0][1]}?)`
    : ` (혹시 ${guesses.map(([name, guess]) => `${name} → ${guess}`).join(", ")}?)`;
  return `이 페이지가 읽지 않는 주소 매개변수를 무시했습니다: ${named.map(shownParam).join(", ")}${more}${hint}`
    + ` — 읽는 매개변수: ${URL_PARAMS.join(", ")}`;
}

// What a search URL asks once the page's defaults are filled in: a shared /?q=유치권 and the page's own
// /?q=유치권&mode=hybrid&k=10 are the same search (Enter on it must not add a second history entry).
const URL_DEFAULTS = { law: "", kind: "", mode: "hybrid", k: "10" };

function sameSearch(a, b) {
  const keys = new Set([...a.keys(), ...b.keys(), ...Object.keys(URL_DEFAULTS)]);
  keys.delete("explain");
  for (const key of keys) {
    const fallback = URL_DEFAULTS[key] ?? "";
    if ((a.get(key) ?? fallback) !== (b.get(key) ?? fallback)) return false;
  }
  return true;
}

// Each search (and each return to the empty page) takes a new number; an answer that arrives after a later one
// started is dropped, so Back/Forward in quick succession never leaves an older search's hits on screen.
let searchSeq = 0;
let inFlight = null;

function clearResults() {
  searchSeq++;
  if (inFlight) { inFlight.abort(); inFlight = null; }
  $("results").replaceChildren(); $("notices").replaceChildren();
  // (the page's own notice about its address comes first, for as long as the address has what it names: a search
  // from the box pushes an address without it)
  const unread = unknownParamsNotice(new URLSearchParams(location.search));
  if (unread) $("notices").appendChild(el("li", "url-notice", unread));
  $("decisions").replaceChildren(); $("decisions").hidden = true;
  $("relevance-note").textContent = ""; $("relevance-note").hidden = true;
  $("status").className = ""; $("status").textContent = "";
}

async function search(pushState) {
  const q = $("q").value.trim();
  // (an empty box had left the last search's hits under "검색어를 입력하세요.")
  if (!q) {
    clearResults(); document.title = PAGE_TITLE;
    $("status").className = ""; $("status").textContent = "검색어를 입력하세요."; return;
  }
  showLengthNote();
  // the tab and the history menu name the search (every entry had read the same)
  document.title = `${chars(q).length > 40 ? chars(q).slice(0, 40).join("") + "…" : q} — ${PAGE_TITLE}`;
  const p = params();
  // a refused k from the URL is sent as it is, for the server to say why (a search from the box sends the select's)
  if (!pushState && refusedK !== null) p.set("k", refusedK);
  refusedK = null;
  // the same search again (Enter twice, or on a shared link) is one history entry, not two: Back goes to the one before
  if (pushState && !sameSearch(new URLSearchParams(location.search), p)) history.pushState(null, "", "/?" + p.toString());
  p.set("explain", "1");
  clearResults();
  const seq = searchSeq;
  const ctrl = new AbortController();
  inFlight = ctrl;
  const status = $("status");
  status.textContent = "검색 중…";
  // a server that does not answer had left "검색 중…" for ever: the seconds show after a few, and past
  // SEARCH_TIMEOUT_S (the server itself waits up to 120 s for a new index version to load) the search is given up
  const started = Date.now();
  let timedOut = false;
  const tick = setInterval(() => {
    const s = Math.round((Date.now() - started) / 1000);
    if (s >= SEARCH_TIMEOUT_S) { timedOut = true; ctrl.abort(); return; }
    if (s >= 3 && seq === searchSeq) status.textContent = `검색 중… ${s}초 (새 색인을 여는 중이면 더 걸릴 수 있습니다)`;
  }, 1000);
  try {
    const res = await api("/api/search?" + p.toString(), ctrl.signal);
    if (seq !== searchSeq) return;
    const notices = (res.notices || []).map(noticeKo);
    for (const n of new Set(notices)) $("notices").appendChild(el("li", null, n));
    renderDecisions(res.decisions || []);
    const list = $("results");
    res.hits.forEach((hit, i) => list.appendChild(renderHit(hit, i + 1, res.terms, res.mode)));
    const note = relevanceNote(res.hits);
    $("relevance-note").textContent = note; $("relevance-note").hidden = !note;
    status.textContent = res.hits.length
      ? `${res.hits.length}건 · ${modeLabel(res.mode)} · ${res.took_ms.toFixed(0)} ms`
      : "일치하는 조문이 없습니다. 다른 표현이나 조문 번호(예: 민법 제750조)로 검색해 보세요.";
  } catch (e) {
    if (timedOut && seq === searchSeq) {
      status.className = "error";
      status.textContent = `오류: 서버가 ${SEARCH_TIMEOUT_S}초 동안 답하지 않아 검색을 멈췄습니다. 잠시 뒤 다시 검색하세요.`;
      return;
    }
    if (seq !== searchSeq) return;  // aborted or overtaken by a later search
    showError(e.message);
  } finally {
    clearInterval(tick);
    if (inFlight === ctrl) inFlight = null;
  }
}

// The page's own title (index.html), after the search's words in the tab.
const PAGE_TITLE = "legalret — 법령 검색";

// How long the page waits for an answer (longer than the server's own wait for a new index version, 120 s).
const SEARCH_TIMEOUT_S = 150;

function fillSelect(select, values) {
  for (const v of values) { const o = el("option", null, v); o.value = v; select.appendChild(o); }
}

// Options added for a URL value the page does not offer (k=3, 민법,상법): marked, and removed again when the URL no
// longer names them, so the selects look as a fresh load of the current URL would.
const FILTERS = ["law", "kind", "mode", "k"];

// The most hits the server gives (/api/meta's max_k): a URL's k beyond it, or no whole number, is no choice to offer.
let maxK = 100;

// Is ``value`` a k the server would search with (a whole number from 1 to maxK)?
function validK(value) {
  return /^[0-9]+$/.test(value) && Number(value) >= 1 && Number(value) <= maxK;
}

// A k from the URL the server refuses (k=0, k=abc): searched as the URL says, so that the server's error is shown,
// but never added to the 개수 select (k=0 had become a choice beside 5, 10, 20, 50). Null when the URL's k is fine.
let refusedK = null;

function setSelect(select, value) {
  for (const o of Array.from(select.options)) if (o.dataset.fromUrl) o.remove();
  if (select.id === "k") refusedK = value !== null && value !== "" && !validK(value) ? value : null;
  if (value === null || value === "" || refusedK !== null && select.id === "k") {
    // not in the URL (or a k the server refuses): the page's default (전체, 종합, 10)
    const d = Array.from(select.options).find((o) => o.defaultSelected) || select.options[0];
    select.value = d ? d.value : "";
    return;
  }
  if (!Array.from(select.options).some((o) => o.value === value)) {
    // shown as the URL says it and sent as it is: the server searches with it, or says why it cannot
    const o = el("option", null, value);
    o.value = value; o.dataset.fromUrl = "1";
    const n = Number(value);
    const after = select.id === "k" && Number.isFinite(n)
      ? Array.from(select.options).find((x) => Number(x.value) > n) : null;
    select.insertBefore(o, after || null);
  }
  select.value = value;
}

// A law or kind filter as its select shows it: only names of ``known`` (the index's), never another — a link's
// law=형법 on a 민법+상법 index had been added to the list as if the index held it. One name is selected; several
// (민법,상법) are one marked option naming them, as k=3 is. Returns the text to ask the server about when a name is
// not one of ``known`` (民法, 근기법, 형법: /api/filters reads it as the search would), the select left at 전체.
function setFilter(select, value, known) {
  for (const o of Array.from(select.options)) if (o.dataset.fromUrl) o.remove();
  const names = [...new Set((value || "").split(",").map((n) => n.trim()).filter(Boolean))];
  select.value = "";
  if (!names.length) return null;
  if (!names.every((n) => known.includes(n))) return names.join(",");
  const wanted = names.join(",");
  if (!Array.from(select.options).some((o) => o.value === wanted)) {  // several names (or a law the list lacks)
    const o = el("option", null, names.join(", "));
    o.value = wanted; o.dataset.fromUrl = "1";
    select.appendChild(o);
  }
  select.value = wanted;
  return null;
}

// The page as a fresh load of the current URL shows it: every field from the URL or its default. Returns the filters
// the page could not read itself ({law: "民法"}), for the server to read.
function fromUrl() {
  const p = new URLSearchParams(location.search);
  $("q").value = p.get("q") || "";
  for (const name of ["mode", "k"]) setSelect($(name), p.get(name));
  const unread = {};
  for (const [name, known] of [["law", indexLaws], ["kind", indexKinds]]) {
    const value = setFilter($(name), p.get(name), known);
    if (value) unread[name] = value;
  }
  growBox(); showLengthNote();
  return unread;
}

// Back/Forward (and the first load): search for what the URL says, or show the empty page when it says nothing. A
// filter the page cannot read itself is read by the server first: its own names selected (民法 → 민법), or — a law
// the index lacks — one line saying so, and nothing searched (never every law under a filter that is not applied).
async function showUrl() {
  const unread = fromUrl();
  const query = !!$("q").value.trim();
  clearResults();
  if (Object.keys(unread).length) {
    const seq = searchSeq;
    const ctrl = new AbortController();
    inFlight = ctrl;
    if (query) $("status").textContent = "검색 중…";
    try {
      const read = await api("/api/filters?" + new URLSearchParams(unread).toString(), ctrl.signal);
      if (seq !== searchSeq) return;
      if (read.law) setFilter($("law"), read.law.join(","), read.law);
      if (read.kind) setFilter($("kind"), read.kind.join(","), read.kind);
    } catch (e) {
      if (seq !== searchSeq) return;  // Back/Forward again meanwhile
      document.title = PAGE_TITLE;
      showError(e.message);
      return;
    } finally {
      if (inFlight === ctrl) inFlight = null;
    }
  }
  if (query) search(false);
}

function init() {
  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); search(true); });
  // Enter searches (as in a one-line box); Shift+Enter starts a new line in a pasted 판결요지.
  $("q").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); search(true); }
  });
  $("q").addEventListener("input", () => { growBox(); showLengthNote(); });
  const saveToken = () => {
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token-box").hidden = true; start();
  };
  $("token-save").addEventListener("click", saveToken);
  $("token").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.isComposing) { ev.preventDefault(); saveToken(); }
  });
  // a value only the URL offered (k=3) leaves the list once another is picked, as a fresh load would not show it
  for (const name of FILTERS) $(name).addEventListener("change", () => {
    for (const o of Array.from($(name).options)) if (o.dataset.fromUrl && !o.selected) o.remove();
    // the hits shown were found with the filters before: said, until the next search (they had looked current)
    if ($("results").children.length && !inFlight) {
      $("status").className = "";
      $("status").textContent = "조건을 바꿨습니다. 아래 결과는 바꾸기 전 조건의 것입니다 — 검색을 누르면 새 조건으로 찾습니다.";
    }
  });
  window.addEventListener("popstate", showUrl);
  start();
}

async function start() {
  $("law").replaceChildren(el("option", null, "전체")); $("law").firstChild.value = "";
  $("kind").replaceChildren(el("option", null, "전체")); $("kind").firstChild.value = "";
  $("status").className = ""; $("status").textContent = "";
  try {
    const meta = await api("/api/meta");
    fillSelect($("law"), meta.laws); fillSelect($("kind"), meta.kinds);
    indexLaws = meta.laws; indexKinds = meta.kinds;
    maxQueryChars = meta.max_query_chars || null;
    maxK = meta.max_k || maxK;
    // no vectors in this index: 의미 유사도 cannot run (종합 then fuses what there is: the server decides)
    if (!meta.dense) $("mode").querySelector('option[value="dense"]').disabled = true;
    $("health").textContent = `${meta.generation} · 법령 ${meta.laws.length}개`;
  } catch (e) {
    const said = errorKo(e.message);  // (a token the server wants is no connection problem)
    $("status").className = "error"; $("status").textContent = said === e.message ? "서버에 연결할 수 없습니다: " + said : said;
    return;
  }
  showUrl();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init, { once: true });
else init();
