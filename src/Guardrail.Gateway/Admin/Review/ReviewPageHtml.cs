namespace Guardrail.Gateway.Admin.Review;

/// <summary>The review page's markup; <c>{{BASE}}</c> is replaced by the request's path base, HTML-encoded. No inline script or style: the Content-Security-Policy forbids both.</summary>
internal static class ReviewPageHtml
{
    public const string Template = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="guardrail-base" content="{{BASE}}">
<title>Guardrail review</title>
<link rel="icon" href="{{BASE}}/admin/review/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{{BASE}}/admin/review/review.css">
<script src="{{BASE}}/admin/review/review.js" defer></script>
</head>
<body>
<header class="bar">
  <h1>Guardrail review</h1>
  <p id="summary" class="summary"></p>
  <div id="who" class="who" hidden>
    <label for="reviewer">Reviewer</label>
    <input id="reviewer" autocomplete="name" maxlength="200" placeholder="your name">
    <button type="button" id="sign-out">Sign out</button>
  </div>
</header>
<main>
  <section id="login" class="login" aria-labelledby="login-title">
    <h2 id="login-title">Sign in</h2>
    <form id="login-form">
      <label for="admin-key">Admin key</label>
      <input id="admin-key" type="password" autocomplete="off" spellcheck="false" required>
      <button type="submit">Sign in</button>
      <p class="hint">The key stays in this browser tab (session storage) and is sent only in the Authorization header.</p>
      <p id="login-error" class="error" role="alert"></p>
    </form>
  </section>

  <div id="app" hidden>
    <form id="filters" class="filters" aria-label="Filters">
      <div class="field"><label for="f-search">Search content</label><input id="f-search" name="search" type="search" placeholder="words in the conversation" aria-keyshortcuts="/"></div>
      <div class="field"><label for="f-action">Action</label>
        <select id="f-action" name="action"><option value="">any</option><option>block</option><option>flag</option><option>allow</option></select></div>
      <div class="field"><label for="f-direction">Direction</label>
        <select id="f-direction" name="direction"><option value="">any</option><option>prompt</option><option>response</option></select></div>
      <div class="field"><label for="f-verdict">Verdict</label>
        <select id="f-verdict" name="verdict"><option value="">any</option><option>unsafe</option><option>safe</option><option>error</option></select></div>
      <div class="field narrow"><label for="f-category">Category</label><input id="f-category" name="category" placeholder="S1" size="5"></div>
      <div class="field"><label for="f-label">Label</label>
        <select id="f-label" name="label"><option value="">any</option><option value="unlabelled">unlabelled</option><option value="false_positive">false positive</option><option value="false_negative">false negative</option><option value="confirmed">confirmed</option></select></div>
      <div class="field"><label for="f-tenant">Tenant</label><input id="f-tenant" name="tenant" size="10"></div>
      <div class="field"><label for="f-policy">Policy</label><input id="f-policy" name="policy" size="10"></div>
      <div class="field"><label for="f-since">From</label><input id="f-since" name="since" type="datetime-local"></div>
      <div class="field"><label for="f-until">Until</label><input id="f-until" name="until" type="datetime-local"></div>
      <div class="field buttons"><button type="submit">Apply</button><button type="reset">Clear</button></div>
    </form>

    <div class="toolbar">
      <p class="keys"><kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open · <kbd>1</kbd> false positive · <kbd>2</kbd> false negative · <kbd>3</kbd> confirmed · <kbd>/</kbd> search · <kbd>n</kbd>/<kbd>p</kbd> page · <kbd>Esc</kbd> close</p>
      <div class="exports" role="group" aria-label="Export the decisions matching the filters">
        <span>Export</span>
        <button type="button" data-format="jsonl">JSON Lines</button>
        <button type="button" data-format="csv">CSV</button>
        <button type="button" data-format="eval">Evaluation set</button>
      </div>
    </div>

    <div class="panes">
      <section class="list" aria-label="Decisions">
        <table id="decisions" tabindex="0" aria-label="Decisions: j and k move, Enter opens">
          <caption class="visually-hidden">Decisions matching the filters, newest first</caption>
          <thead><tr>
            <th scope="col">Time</th><th scope="col">Tenant</th><th scope="col">Route</th><th scope="col">Direction</th>
            <th scope="col">Action</th><th scope="col">Categories</th><th scope="col" class="num">Score</th>
            <th scope="col">Policy</th><th scope="col">Label</th>
          </tr></thead>
          <tbody id="rows"></tbody>
        </table>
        <p id="empty" class="empty" hidden>No decisions match these filters.</p>
        <nav class="pager" aria-label="Pages">
          <button type="button" id="prev" aria-keyshortcuts="p">← Newer</button>
          <span id="range"></span>
          <button type="button" id="next" aria-keyshortcuts="n">Older →</button>
        </nav>
      </section>

      <section id="detail" class="detail" hidden tabindex="-1" aria-labelledby="detail-title">
        <div class="detail-head">
          <h2 id="detail-title"></h2>
          <button type="button" id="close" aria-keyshortcuts="Escape">Close</button>
        </div>
        <dl id="facts" class="facts"></dl>
        <h3>Conversation</h3>
        <pre id="conversation" class="conversation"></pre>
        <h3>Label</h3>
        <p id="current-label" class="current-label"></p>
        <div class="label-form">
          <label for="note">Note</label>
          <textarea id="note" rows="2" maxlength="4000" placeholder="why (optional)"></textarea>
          <label for="label-categories">Violated categories (false negative only)</label>
          <input id="label-categories" placeholder="S1 S10">
          <div class="label-buttons">
            <button type="button" data-label="false_positive" aria-keyshortcuts="1"><kbd>1</kbd> False positive</button>
            <button type="button" data-label="false_negative" aria-keyshortcuts="2"><kbd>2</kbd> False negative</button>
            <button type="button" data-label="confirmed" aria-keyshortcuts="3"><kbd>3</kbd> Confirmed</button>
          </div>
        </div>
      </section>
    </div>
  </div>
  <p id="status" class="status" role="status" aria-live="polite"></p>
</main>
</body>
</html>
""";
}
