/**
 * The small page the connect routes answer with when they do not redirect: what happened, in
 * one sentence, and a way back. Plain HTML built here with every value escaped, so a
 * provider's name or an account label can never become markup.
 */

export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

export function connectPage(input: {
  status: number;
  title: string;
  message: string;
  code?: string;
  setCookie?: string | null;
  /** A same-origin link to go on with (a path), shown as the page's main button. */
  action?: { href: string; label: string };
}): Response {
  const action = input.action && input.action.href.startsWith('/') && !input.action.href.startsWith('//')
    ? `<p><a class="button" href="${escapeHtml(input.action.href)}">${escapeHtml(input.action.label)}</a></p>\n`
    : '';
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${escapeHtml(input.title)} · Tokenwarden</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2328}h1{font-size:1.4rem}.muted{color:#59636e;font-size:.9rem}.button{display:inline-block;padding:.5rem 1rem;border-radius:6px;background:#0969da;color:#fff;text-decoration:none}.button:focus{outline:3px solid #1f2328;outline-offset:2px}</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<p data-connect-code="${escapeHtml(input.code ?? '')}">${escapeHtml(input.message)}</p>
${action}<p><a href="/">Back to your connections</a></p>
</body>
</html>
`;
  const headers = new Headers({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  if (input.setCookie) headers.append('set-cookie', input.setCookie);
  return new Response(html, { status: input.status, headers });
}
