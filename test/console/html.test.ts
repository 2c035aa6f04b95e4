import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, bodyView, highlightJson, html, raw } from '../../src/console/html.ts';

test('html escapes every interpolated value unless it is Html', () => {
  const hostile = `<script>alert(1)</script>"><img src=x onerror='y'>\`&`;
  const out = html`<p title="${hostile}">${hostile}</p>`.value;
  assert.equal(out, `<p title="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&#96;&amp;">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&#96;&amp;</p>`);
  assert.equal(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.value, '<ul>&lt;a&gt;<li>ok</li></ul>');
  assert.equal(html`${null}${undefined}${false}${0}`.value, '0');
  assert.equal(html`${raw('<b>ours</b>')}`.value, '<b>ours</b>');
  assert.equal(html`<input${attr('disabled', true)}${attr('checked', false)}>`.value, '<input disabled>');
});

test('highlightJson wraps tokens in spans and escapes their text', () => {
  const out = highlightJson({ '<k>': '</span><script>x</script>', n: -1.5e3, t: true, z: null }).value;
  assert.match(out, /<span class="j-key">&quot;&lt;k&gt;&quot;<\/span>:/);
  assert.match(out, /<span class="j-str">&quot;&lt;\/span&gt;&lt;script&gt;x&lt;\/script&gt;&quot;<\/span>/);
  assert.match(out, /<span class="j-num">-1500<\/span>/);
  assert.match(out, /<span class="j-lit">true<\/span>/);
  assert.match(out, /<span class="j-lit">null<\/span>/);
  assert.doesNotMatch(out, /<script>/);
});

test('bodyView pretty-prints JSON and escapes anything else', () => {
  assert.match(bodyView('{"a":1}').value, /<span class="j-key">&quot;a&quot;<\/span>: <span class="j-num">1<\/span>/);
  assert.equal(bodyView('<html><script>x</script>').value, '&lt;html&gt;&lt;script&gt;x&lt;/script&gt;');
  assert.match(bodyView(null).value, /\(empty\)/);
});
