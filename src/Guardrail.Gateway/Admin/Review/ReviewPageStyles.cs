namespace Guardrail.Gateway.Admin.Review;

/// <summary>The review page's styles, served as <c>/admin/review/review.css</c>.</summary>
internal static class ReviewPageStyles
{
    public const string Source = """
:root {
  --fg: #1d2125; --muted: #5c6670; --line: #d8dde2; --bg: #fff; --panel: #f6f8fa; --accent: #0b5cad;
  --block: #b42318; --block-bg: #fde8e6; --flag: #8a5a00; --flag-bg: #fff4d6; --allow: #245c2e; --allow-bg: #e6f4ea;
  --selected: #e3eefb;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  font-size: 14px; color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 16px; margin: 0; }
h3 { font-size: 13px; margin: 14px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
button, input, select, textarea { font: inherit; color: inherit; }
button { border: 1px solid var(--line); background: var(--bg); border-radius: 4px; padding: 4px 10px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { color: var(--muted); cursor: default; opacity: .6; }
button[type=submit] { background: var(--accent); border-color: var(--accent); color: #fff; }
input, select, textarea { border: 1px solid var(--line); border-radius: 4px; padding: 4px 6px; background: var(--bg); }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
kbd { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 3px; padding: 0 4px; background: var(--panel); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }

.bar { display: flex; align-items: center; gap: 16px; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
.summary { margin: 0; color: var(--muted); flex: 1; }
.who { display: flex; align-items: center; gap: 6px; }
main { padding: 12px 16px; }

.login { max-width: 420px; margin: 48px auto; padding: 20px; border: 1px solid var(--line); border-radius: 6px; }
.login form { display: grid; gap: 8px; margin-top: 12px; }
.hint { color: var(--muted); margin: 0; font-size: 13px; }
.error { color: var(--block); margin: 0; min-height: 1em; }

.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; padding-bottom: 10px; border-bottom: 1px solid var(--line); }
.field { display: grid; gap: 2px; }
.field label { font-size: 12px; color: var(--muted); }
.field input[type=search] { width: 220px; }
.field input[type=datetime-local] { width: 190px; }
.field.buttons { display: flex; gap: 6px; }
.toolbar { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 8px; padding: 8px 0; }
.keys { margin: 0; color: var(--muted); font-size: 12px; }
.exports { display: flex; gap: 6px; align-items: center; }
.exports span { color: var(--muted); font-size: 12px; }

.panes { display: flex; gap: 16px; align-items: flex-start; }
.list { flex: 1 1 auto; min-width: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; position: sticky; top: 0; background: var(--bg); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.time { font-variant-numeric: tabular-nums; color: var(--muted); }
tbody tr { cursor: pointer; }
tbody tr:hover { background: var(--panel); }
tbody tr[aria-selected=true] { background: var(--selected); box-shadow: inset 3px 0 0 var(--accent); }
#decisions:focus { outline: none; }
#decisions:focus tbody tr[aria-selected=true] { box-shadow: inset 3px 0 0 var(--accent), inset 0 0 0 1px var(--accent); }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.action-block { color: var(--block); background: var(--block-bg); }
.action-flag { color: var(--flag); background: var(--flag-bg); }
.action-allow { color: var(--allow); background: var(--allow-bg); }
.label-none { color: var(--muted); }
.empty { color: var(--muted); padding: 16px 0; }
.pager { display: flex; gap: 12px; align-items: center; padding: 10px 0; }
.pager span { color: var(--muted); }

.detail { flex: 0 0 44%; max-width: 720px; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; position: sticky; top: 8px; max-height: calc(100vh - 16px); overflow: auto; }
.detail-head { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 12px; margin: 10px 0 0; font-size: 13px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.conversation { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 10px; margin: 0; max-height: 40vh; overflow: auto; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
.conversation.missing { font-family: inherit; color: var(--muted); font-style: italic; }
.current-label { margin: 0 0 8px; }
.label-form { display: grid; gap: 4px; }
.label-form label { font-size: 12px; color: var(--muted); }
.label-buttons { display: flex; gap: 8px; margin-top: 6px; flex-wrap: wrap; }
.status { position: fixed; bottom: 12px; right: 16px; margin: 0; padding: 6px 12px; border-radius: 4px; background: var(--fg); color: #fff; }
.status:empty { display: none; }
.status.error { background: var(--block); }

@media (max-width: 1000px) {
  .panes { flex-direction: column; }
  .detail { flex-basis: auto; max-width: none; width: 100%; position: static; max-height: none; }
}
""";
}
