/**
 * Control characters (NUL, escapes) and bidirectional controls (U+202E and kin), which make one
 * name display as another in lists, logs and terminals. Names people read must not hold them.
 */
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

export function hasUnsafeCharacters(text: string): boolean {
  return unsafeCharacters.test(text)
}
