/**
 * Mixed-script detection for new usernames: Unicode UTS #39 (Security Mechanisms), section 5.2,
 * restriction level "Highly Restrictive". A name passes when all its characters share one
 * script (by Script_Extensions; Common and Inherited characters such as digits, `.` and
 * combining accents go with any script), or when it is covered by Latin plus one of the
 * East Asian sets that are written together: Han + Hiragana + Katakana (Japanese),
 * Han + Bopomofo (Chinese), Han + Hangul (Korean). This refuses the look-alike trick of
 * one Cyrillic `а` in a Latin name, and Latin mixed with Greek or Cyrillic generally.
 *
 * JavaScript regular expressions know every character's Script_Extensions (`\p{scx=...}`)
 * but cannot list them, so each character is tested against every script by name. The
 * list below is Unicode 17's; names this Node's ICU does not know are dropped, and a
 * character of a script missing from the list counts as a script of its own ("unknown").
 */

/** Every Unicode script but Common, Inherited and Unknown (long property value aliases). */
export const SCRIPT_NAMES: readonly string[] = `Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak
Bengali Beria_Erfe Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian
Caucasian_Albanian Chakma Cham Cherokee Chisoi Chorasmian Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic
Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Garay
Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Gurung_Khema Han Hangul
Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inscriptional_Pahlavi
Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi Khitan_Small_Script
Khmer Khojki Khudawadi Kirat_Rai Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani
Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui
Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nag_Mundari
Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Ol_Onal Old_Hungarian
Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur
Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic
Samaritan Saurashtra Sharada Shavian Siddham Sidetic SignWriting Sinhala Sogdian Sora_Sompeng Soyombo
Sundanese Sunuwar Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Tai_Yo Takri Tamil
Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Todhri Tolong_Siki Toto Tulu_Tigalari
Ugaritic Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square`.split(/\s+/);

/** UTS #39 5.1: the writing systems that combine scripts, added to their members' sets. */
const JAPANESE = 'Japanese';
const CHINESE = 'Chinese (Han with Bopomofo)';
const KOREAN = 'Korean';
const AUGMENT: Record<string, string[]> = {
  Han: [CHINESE, JAPANESE, KOREAN],
  Hiragana: [JAPANESE],
  Katakana: [JAPANESE],
  Hangul: [KOREAN],
  Bopomofo: [CHINESE],
};
/** Highly Restrictive also allows Latin with one of these. */
const WITH_LATIN = [JAPANESE, CHINESE, KOREAN];

/** Any script: Common (digits, punctuation) and Inherited (most combining marks). */
const ANY = /^[\p{scx=Zyyy}\p{scx=Zinh}]$/u;

let table: Array<[string, RegExp]> | undefined;

/** Built on first use: only `user add` needs it, and only for non-ASCII names. */
function scriptTable(): Array<[string, RegExp]> {
  table ??= SCRIPT_NAMES.flatMap((name): Array<[string, RegExp]> => {
    try {
      return [[name, new RegExp(`^\\p{scx=${name}}$`, 'u')]];
    } catch {
      return []; // a script newer than this Node's ICU: none of its characters can occur
    }
  });
  return table;
}

/** The scripts a character belongs to (undefined: every script), with the UTS #39 additions. */
function scriptsOf(c: string): Set<string> | undefined {
  if (c < '\u0080') return /[A-Za-z]/.test(c) ? new Set(['Latin']) : undefined;
  if (ANY.test(c)) return undefined;
  const scripts = new Set<string>();
  for (const [name, re] of scriptTable()) {
    if (!re.test(c)) continue;
    scripts.add(name);
    for (const extra of AUGMENT[name] ?? []) scripts.add(extra);
  }
  if (scripts.size === 0) scripts.add('an unknown script');
  return scripts;
}

export interface ScriptMix {
  /** The scripts of the name, in order of first appearance. */
  scripts: string[];
  /** The first character of a script used less than the name's main one (the likely look-alike). */
  odd: string;
  oddScript: string;
}

const display = (name: string) => name.replace(/_/g, ' ');

/**
 * undefined when `name` meets UTS #39 Highly Restrictive; otherwise which scripts it mixes
 * and the character that most likely does not belong.
 */
export function scriptMix(name: string): ScriptMix | undefined {
  // Plain ASCII is Latin plus Common characters: always a single script.
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(name)) return undefined;
  const chars = [...name];
  const sets = chars.map(scriptsOf);
  let resolved: Set<string> | undefined; // undefined: still any script
  for (const set of sets) {
    if (set === undefined) continue;
    resolved = resolved === undefined ? new Set(set) : new Set([...resolved].filter((s) => set.has(s)));
  }
  if (resolved === undefined || resolved.size > 0) return undefined;
  const coveredWithLatin = WITH_LATIN.some((partner) => sets.every((set) => set === undefined || set.has('Latin') || set.has(partner)));
  if (coveredWithLatin) return undefined;

  // Refused: name each character by its first script, and point at the rarest one.
  const primary = sets.map((set) => (set === undefined ? undefined : [...set][0]));
  const counts = new Map<string, number>();
  for (const s of primary) if (s !== undefined) counts.set(s, (counts.get(s) ?? 0) + 1);
  const main = [...counts.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const oddAt = primary.findIndex((s) => s !== undefined && s !== main);
  return {
    scripts: [...counts.keys()].map(display),
    odd: chars[oddAt] ?? '',
    oddScript: display(primary[oddAt] ?? ''),
  };
}
