/* PresalesStats: the one place the dashboard's JavaScript does arithmetic on figures or prints a number.
   Each function gives what its Python counterpart gives (tests/test_dashboard_stats.py checks that in
   chromium on thousands of random inputs):
     rate, wilson          presales_analytics.metrics.base.wilson (and won ÷ closed where closed > 0)
     quantile, median      DuckDB's quantile_cont (linear interpolation; missing values ignored)
     fixed, amount, pct    presales_analytics.presentation.format.fixed / fmt_amount / fmt_pct
   Ties round away from zero on the float's exact value (toFixed does that; Intl.NumberFormat rounds the
   shortest decimal instead: 2.675 -> "2.68" where Python's fixed gives "2.67"). No dependencies. */
var PresalesStats = (function () {
  "use strict";

  function missing(v) { return v === null || v === undefined || typeof v !== "number" || !isFinite(v); }

  // ------------------------------------------------------------ arithmetic
  function rate(k, n) { return missing(k) || missing(n) || !(n > 0) ? NaN : k / n; }
  function ratio(a, b) { return missing(a) || missing(b) || b === 0 ? NaN : a / b; }
  function diff(a, b) { return missing(a) || missing(b) ? NaN : a - b; }
  function change(a, b) { return missing(b) ? NaN : ratio(diff(a, b), Math.abs(b)); }   // relative change
  function points(a, b) { var d = diff(a, b); return d * 100; }                          // percentage points
  function sum(xs) {               // missing values count as 0, as SQL's sum skips NULLs
    var s = 0;
    for (var i = 0; i < xs.length; i++) if (!missing(xs[i])) s += xs[i];
    return s;
  }
  function wilson(k, n, z) {       // [low, high], as metrics.base.wilson: same operations in the same order
    if (missing(k) || missing(n) || !(n > 0)) return [NaN, NaN];
    var p = k / n;
    var centre = (p + z * z / (2 * n)) / (1 + z * z / n);
    var half = z / (1 + z * z / n) * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n));
    return [Math.max(0, centre - half), Math.min(1, centre + half)];
  }
  function quantile(xs, q) {       // DuckDB quantile_cont: position (n - 1) * q, lo + (hi - lo) * fraction
    var s = xs.filter(function (v) { return !missing(v); }).sort(function (a, b) { return a - b; });
    if (!s.length || missing(q)) return NaN;
    var rn = (s.length - 1) * q, lo = Math.floor(rn), hi = Math.ceil(rn);
    return lo === hi ? s[lo] : s[lo] + (s[hi] - s[lo]) * (rn - lo);
  }
  function median(xs) { return quantile(xs, 0.5); }

  // ------------------------------------------------------------ formatting
  function group(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function fixed(x, digits, grouping) {
    // toFixed rounds the exact binary value with ties away from zero, as Python's Decimal(x) with
    // ROUND_HALF_UP; from 1e21 up it switches to exponent form, so those (integers) are written out.
    var neg = x < 0 || Object.is(x, -0), a = Math.abs(x), s;
    if (a >= 1e21) s = BigInt(a).toString() + (digits > 0 ? "." + "0".repeat(digits) : "");
    else s = a.toFixed(digits);
    if (grouping) {
      var dot = s.indexOf(".");
      s = dot < 0 ? group(s) : group(s.slice(0, dot)) + s.slice(dot);
    }
    return (neg ? "-" : "") + s;
  }
  function amount(yuan, lang, yi) {  // fmt_amount: 亿元 (2 decimals, from 1亿 up unless yi === false),
    if (missing(yuan)) return "—";   // 万元 (no decimals from 1,000万 up, else 1 decimal) or ¥
    if (lang === "zh") {
      if (yi !== false && Math.abs(yuan) >= 1e8) return fixed(yuan / 1e8, 2, true) + "亿元";
      return fixed(yuan / 1e4, Math.abs(yuan) >= 1e7 ? 0 : 1, true) + "万元";
    }
    return "¥" + fixed(yuan, 0, true);
  }
  function pct(r, digits) { return missing(r) ? "—" : fixed(r * 100, digits === undefined ? 0 : digits) + "%"; }
  function count(v) { return missing(v) ? "—" : fixed(v, 0, true); }
  function decimal1(v) {           // at most one decimal: 12.5 -> "12.5", 12.04 -> "12"
    return missing(v) ? "—" : fixed(v, 1, true).replace(/\.0$/, "");
  }
  // days in whole days with the unit, as metrics/spec.py's "days" kind prints (presentation.format.fmt_value)
  function days(v, lang) { return missing(v) ? "—" : fixed(v, 0, true) + (lang === "zh" ? " 天" : " d"); }
  // the 0–1 audit score on its 0–100 scale, one decimal ("score" kind)
  function score(v) { return missing(v) ? "—" : fixed(v * 100, 1); }
  // a difference of two rates in percentage points, signed ("pp" kind)
  function pp(v, lang) {
    return missing(v) ? "—" : (v > 0 ? "+" : "") + fixed(v * 100, 1) + (lang === "zh" ? "个百分点" : " pp");
  }

  return {missing: missing, rate: rate, ratio: ratio, diff: diff, change: change, points: points, sum: sum,
          wilson: wilson, quantile: quantile, median: median,
          fixed: fixed, amount: amount, pct: pct, count: count, decimal1: decimal1, days: days,
          score: score, pp: pp};
})();
