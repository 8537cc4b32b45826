/**
 * The pages run under the server's strict Content-Security-Policy (src/server/headers.ts). The
 * browser tests check that it is there and that nothing the page does violates it: an init script
 * reports every `securitypolicyviolation` event of the document as a console error with a tag,
 * which the tests' console listeners collect along with the browser's own "Refused to …" errors.
 * (A blocked script or fetch in the crypto worker would also stop the round the tests wait for.)
 */
import { expect, type Response } from '@playwright/test';

export const CSP_TAG = '[csp-violation] ';

/** Init script (a string, so Playwright injects it verbatim before the page's own scripts). */
export const CSP_REPORTER = `(() => {
  const tag = ${JSON.stringify(CSP_TAG)};
  const report = (e) =>
    console.error(tag + e.effectiveDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  document.addEventListener('securitypolicyviolation', report);
})();`;

/** The page was served with the strict policy (so a green run means it ran under it). */
export function expectStrictCsp(response: Response | null): void {
  expect(response, 'the page response').not.toBeNull();
  const headers = (response as Response).headers();
  const csp = headers['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
  expect(headers['x-content-type-options']).toBe('nosniff');
}
