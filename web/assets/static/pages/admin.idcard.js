// The check of a resident identity number (GB 11643-1999) the expert form
// makes before sending: 18 characters, a valid birth date and the ISO 7064
// MOD 11-2 check character. The server checks it again (and the region).

const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const checkChars = '10X98765432';

/** idNumberOK reports whether s looks like a valid identity number. */
export function idNumberOK(s) {
  s = String(s).toUpperCase();
  if (!/^\d{17}[\dX]$/.test(s)) return false;
  const y = Number(s.slice(6, 10)); const m = Number(s.slice(10, 12)); const d = Number(s.slice(12, 14));
  const born = new Date(Date.UTC(y, m - 1, d));
  if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d || born > new Date()) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * weights[i];
  return checkChars[sum % 11] === s[17];
}
