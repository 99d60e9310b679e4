/* Windows path algebra: what a spelling means to Win32 and NTFS, decided
 * without touching a filesystem.
 *
 * Where Win32's behaviour is uncertain or version-dependent this file picks
 * the reading that makes callers refuse (INVALID / DEVICE) rather than guess:
 *
 * - Win32 normalisation (RtlGetFullPathName_U, .NET "File path formats on
 *   Windows systems") resolves '.' and '..' lexically first, then removes a
 *   single trailing period from a segment and every trailing period and
 *   space from the last segment. A segment that Win32 would keep with
 *   trailing spaces or several trailing dots ("ws \x", "ws..\x", the file
 *   part of "f.:s") names a different file than its stripped form, which the
 *   canonical form (no trailing dots or spaces) cannot express: such paths
 *   are INVALID. So are segments made only of dots and spaces other than '.'
 *   and '..'.
 * - Under \\?\ nothing is normalised: '.', '..', empty segments and '/' are
 *   passed to NTFS, which rejects them; they are INVALID here. Trailing dots
 *   and spaces are kept ("\\?\C:\ws\.git." is a different file from .git),
 *   and the canonical string then carries them: open a canonical path with
 *   the \\?\ prefix so Win32 does not strip them again.
 * - <>"|?* and 0x01-0x1F are INVALID everywhere, \\?\ included (NTFS
 *   rejects them in Win32 names and <>" are NT wildcards).
 * - Reserved DOS names follow the classic rule (CON, PRN, AUX, NUL, COM1-9,
 *   LPT1-9, COM/LPT with superscript 1-3, CONIN$, CONOUT$; any extension,
 *   trailing spaces before the extension, a trailing colon), which is broader
 *   than Windows 11's: only in the last segment (also "COM1\" and
 *   "con\:s", whose canonical form ends in the name) is the path a DEVICE
 *   (RtlIsDosDeviceName_U looks at nothing else); any segment sets the flag.
 *   COM0 and LPT0 are ordinary names (Windows 10 creates files so named;
 *   the documentation that lists them is wrong). Under \\?\ and in a UNC
 *   path they are ordinary names too (flag only): RtlIsDosDeviceName_U
 *   returns 0 for UNC paths, so \\server\share\NUL is a file on the share.
 * - A path starting \??\ is handed to the object manager as is: \??\C:\x
 *   opens C:\x with no normalisation, like \\?\C:\x. It is DEVICE here with
 *   nt_namespace set, so cordon refuses it as a root or working directory;
 *   a caller that must know what it reaches (the access-check model) reads
 *   it as the \\?\ spelling of the same rest.
 * - Anything under \\.\ (or //./, \\?/ ...) is DEVICE except the pipe
 *   namespace; \\?\ followed by anything but "X:\", "UNC\" or "pipe\" is
 *   DEVICE (GLOBALROOT, Volume{...}, "\\?\C:" the raw volume). A UNC share
 *   named "pipe" is a named pipe on that host; "mailslot" is a DEVICE.
 * - Streams: "f:s", "f:s:$DATA" name stream s; "f::$DATA", "d::$INDEX_ALLOCATION"
 *   and "d:$I30:$INDEX_ALLOCATION" name the file or directory itself
 *   (default stream); any other attribute type, an empty stream name or a
 *   colon outside the last segment is INVALID. ":s" as the last segment is a
 *   stream of the directory before it.
 * - A drive-relative path (C:x) on a drive other than cwd's depends on a
 *   per-drive directory this code cannot know: canonical returns NULL.
 * - A non-letter before the drive colon ("1:\x") is INVALID.
 *
 * Case folding: winpath_upcase is the Unicode 14 simple upper-case mapping
 * of the BMP (UnicodeData.txt field 12), generated once from Python's
 * unicodedata (single-code-point str.upper() results, plus the Greek
 * iota-subscript simple mappings U+1F80.. that str.upper() expands). NTFS
 * compares names with the $UpCase table written when the volume was
 * formatted; Microsoft does not publish it, so it can differ from this
 * table (older volumes predate later Unicode versions). Deliberate
 * choices: no mapping expands (U+00DF stays itself); U+0131 (dotless i) and
 * U+017F (long s) fold to themselves, as in the $UpCase table Windows
 * writes, not to 'I' and 'S' as Unicode's simple mapping says (otherwise
 * C:\ws and C:\w<U+017F> would be one workspace here and two
 * directories on NTFS, and share a capability SID); so nothing outside
 * ASCII folds into ASCII. Georgian Mkhedruli (U+10D0-U+10FF) is not folded
 * to Mtavruli (added in Unicode 11, newer than any $UpCase table Windows is
 * known to write). Known difference left: this table still folds letters
 * the Vista-era $UpCase leaves alone (U+00B5, U+0345, U+1FBE, U+03D0-U+03D6,
 * Latin Extended-B/IPA and Cherokee additions); folding more than NTFS only
 * makes protected-name matches broader and can give two such workspaces
 * one SID. The evidence is this project's unit tests, not a Windows run. */
#include "winpath.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ case folding */

typedef struct upcase_range {
	uint16_t first;
	uint16_t last;
	int32_t delta;
	uint8_t step; /* 1: every code point in the range, 2: every other one */
} upcase_range;

static const upcase_range upcase_table[] = {
	{0x0061, 0x007A, -32, 1},   {0x00B5, 0x00B5, 743, 1},	 {0x00E0, 0x00F6, -32, 1},
	{0x00F8, 0x00FE, -32, 1},   {0x00FF, 0x00FF, 121, 1},	 {0x0101, 0x012F, -1, 2},
	{0x0133, 0x0137, -1, 2},    {0x013A, 0x0148, -1, 2},	 {0x014B, 0x0177, -1, 2},
	{0x017A, 0x017E, -1, 2},    {0x0180, 0x0180, 195, 1},	 {0x0183, 0x0185, -1, 2},
	{0x0188, 0x0188, -1, 1},    {0x018C, 0x018C, -1, 1},	 {0x0192, 0x0192, -1, 1},
	{0x0195, 0x0195, 97, 1},    {0x0199, 0x0199, -1, 1},	 {0x019A, 0x019A, 163, 1},
	{0x019E, 0x019E, 130, 1},   {0x01A1, 0x01A5, -1, 2},	 {0x01A8, 0x01A8, -1, 1},
	{0x01AD, 0x01AD, -1, 1},    {0x01B0, 0x01B0, -1, 1},	 {0x01B4, 0x01B6, -1, 2},
	{0x01B9, 0x01B9, -1, 1},    {0x01BD, 0x01BD, -1, 1},	 {0x01BF, 0x01BF, 56, 1},
	{0x01C5, 0x01C5, -1, 1},    {0x01C6, 0x01C6, -2, 1},	 {0x01C8, 0x01C8, -1, 1},
	{0x01C9, 0x01C9, -2, 1},    {0x01CB, 0x01CB, -1, 1},	 {0x01CC, 0x01CC, -2, 1},
	{0x01CE, 0x01DC, -1, 2},    {0x01DD, 0x01DD, -79, 1},	 {0x01DF, 0x01EF, -1, 2},
	{0x01F2, 0x01F2, -1, 1},    {0x01F3, 0x01F3, -2, 1},	 {0x01F5, 0x01F5, -1, 1},
	{0x01F9, 0x021F, -1, 2},    {0x0223, 0x0233, -1, 2},	 {0x023C, 0x023C, -1, 1},
	{0x023F, 0x0240, 10815, 1}, {0x0242, 0x0242, -1, 1},	 {0x0247, 0x024F, -1, 2},
	{0x0250, 0x0250, 10783, 1}, {0x0251, 0x0251, 10780, 1},	 {0x0252, 0x0252, 10782, 1},
	{0x0253, 0x0253, -210, 1},  {0x0254, 0x0254, -206, 1},	 {0x0256, 0x0257, -205, 1},
	{0x0259, 0x0259, -202, 1},  {0x025B, 0x025B, -203, 1},	 {0x025C, 0x025C, 42319, 1},
	{0x0260, 0x0260, -205, 1},  {0x0261, 0x0261, 42315, 1},	 {0x0263, 0x0263, -207, 1},
	{0x0265, 0x0265, 42280, 1}, {0x0266, 0x0266, 42308, 1},	 {0x0268, 0x0268, -209, 1},
	{0x0269, 0x0269, -211, 1},  {0x026A, 0x026A, 42308, 1},	 {0x026B, 0x026B, 10743, 1},
	{0x026C, 0x026C, 42305, 1}, {0x026F, 0x026F, -211, 1},	 {0x0271, 0x0271, 10749, 1},
	{0x0272, 0x0272, -213, 1},  {0x0275, 0x0275, -214, 1},	 {0x027D, 0x027D, 10727, 1},
	{0x0280, 0x0280, -218, 1},  {0x0282, 0x0282, 42307, 1},	 {0x0283, 0x0283, -218, 1},
	{0x0287, 0x0287, 42282, 1}, {0x0288, 0x0288, -218, 1},	 {0x0289, 0x0289, -69, 1},
	{0x028A, 0x028B, -217, 1},  {0x028C, 0x028C, -71, 1},	 {0x0292, 0x0292, -219, 1},
	{0x029D, 0x029D, 42261, 1}, {0x029E, 0x029E, 42258, 1},	 {0x0345, 0x0345, 84, 1},
	{0x0371, 0x0373, -1, 2},    {0x0377, 0x0377, -1, 1},	 {0x037B, 0x037D, 130, 1},
	{0x03AC, 0x03AC, -38, 1},   {0x03AD, 0x03AF, -37, 1},	 {0x03B1, 0x03C1, -32, 1},
	{0x03C2, 0x03C2, -31, 1},   {0x03C3, 0x03CB, -32, 1},	 {0x03CC, 0x03CC, -64, 1},
	{0x03CD, 0x03CE, -63, 1},   {0x03D0, 0x03D0, -62, 1},	 {0x03D1, 0x03D1, -57, 1},
	{0x03D5, 0x03D5, -47, 1},   {0x03D6, 0x03D6, -54, 1},	 {0x03D7, 0x03D7, -8, 1},
	{0x03D9, 0x03EF, -1, 2},    {0x03F0, 0x03F0, -86, 1},	 {0x03F1, 0x03F1, -80, 1},
	{0x03F2, 0x03F2, 7, 1},	    {0x03F3, 0x03F3, -116, 1},	 {0x03F5, 0x03F5, -96, 1},
	{0x03F8, 0x03F8, -1, 1},    {0x03FB, 0x03FB, -1, 1},	 {0x0430, 0x044F, -32, 1},
	{0x0450, 0x045F, -80, 1},   {0x0461, 0x0481, -1, 2},	 {0x048B, 0x04BF, -1, 2},
	{0x04C2, 0x04CE, -1, 2},    {0x04CF, 0x04CF, -15, 1},	 {0x04D1, 0x052F, -1, 2},
	{0x0561, 0x0586, -48, 1},   {0x13F8, 0x13FD, -8, 1},	 {0x1C80, 0x1C80, -6254, 1},
	{0x1C81, 0x1C81, -6253, 1}, {0x1C82, 0x1C82, -6244, 1},	 {0x1C83, 0x1C84, -6242, 1},
	{0x1C85, 0x1C85, -6243, 1}, {0x1C86, 0x1C86, -6236, 1},	 {0x1C87, 0x1C87, -6181, 1},
	{0x1C88, 0x1C88, 35266, 1}, {0x1D79, 0x1D79, 35332, 1},	 {0x1D7D, 0x1D7D, 3814, 1},
	{0x1D8E, 0x1D8E, 35384, 1}, {0x1E01, 0x1E95, -1, 2},	 {0x1E9B, 0x1E9B, -59, 1},
	{0x1EA1, 0x1EFF, -1, 2},    {0x1F00, 0x1F07, 8, 1},	 {0x1F10, 0x1F15, 8, 1},
	{0x1F20, 0x1F27, 8, 1},	    {0x1F30, 0x1F37, 8, 1},	 {0x1F40, 0x1F45, 8, 1},
	{0x1F51, 0x1F57, 8, 2},	    {0x1F60, 0x1F67, 8, 1},	 {0x1F70, 0x1F71, 74, 1},
	{0x1F72, 0x1F75, 86, 1},    {0x1F76, 0x1F77, 100, 1},	 {0x1F78, 0x1F79, 128, 1},
	{0x1F7A, 0x1F7B, 112, 1},   {0x1F7C, 0x1F7D, 126, 1},	 {0x1F80, 0x1F87, 8, 1},
	{0x1F90, 0x1F97, 8, 1},	    {0x1FA0, 0x1FA7, 8, 1},	 {0x1FB0, 0x1FB1, 8, 1},
	{0x1FB3, 0x1FB3, 9, 1},	    {0x1FBE, 0x1FBE, -7205, 1},	 {0x1FC3, 0x1FC3, 9, 1},
	{0x1FD0, 0x1FD1, 8, 1},	    {0x1FE0, 0x1FE1, 8, 1},	 {0x1FE5, 0x1FE5, 7, 1},
	{0x1FF3, 0x1FF3, 9, 1},	    {0x214E, 0x214E, -28, 1},	 {0x2170, 0x217F, -16, 1},
	{0x2184, 0x2184, -1, 1},    {0x24D0, 0x24E9, -26, 1},	 {0x2C30, 0x2C5F, -48, 1},
	{0x2C61, 0x2C61, -1, 1},    {0x2C65, 0x2C65, -10795, 1}, {0x2C66, 0x2C66, -10792, 1},
	{0x2C68, 0x2C6C, -1, 2},    {0x2C73, 0x2C73, -1, 1},	 {0x2C76, 0x2C76, -1, 1},
	{0x2C81, 0x2CE3, -1, 2},    {0x2CEC, 0x2CEE, -1, 2},	 {0x2CF3, 0x2CF3, -1, 1},
	{0x2D00, 0x2D25, -7264, 1}, {0x2D27, 0x2D27, -7264, 1},	 {0x2D2D, 0x2D2D, -7264, 1},
	{0xA641, 0xA66D, -1, 2},    {0xA681, 0xA69B, -1, 2},	 {0xA723, 0xA72F, -1, 2},
	{0xA733, 0xA76F, -1, 2},    {0xA77A, 0xA77C, -1, 2},	 {0xA77F, 0xA787, -1, 2},
	{0xA78C, 0xA78C, -1, 1},    {0xA791, 0xA793, -1, 2},	 {0xA794, 0xA794, 48, 1},
	{0xA797, 0xA7A9, -1, 2},    {0xA7B5, 0xA7C3, -1, 2},	 {0xA7C8, 0xA7CA, -1, 2},
	{0xA7D1, 0xA7D1, -1, 1},    {0xA7D7, 0xA7D9, -1, 2},	 {0xA7F6, 0xA7F6, -1, 1},
	{0xAB53, 0xAB53, -928, 1},  {0xAB70, 0xABBF, -38864, 1}, {0xFF41, 0xFF5A, -32, 1},
};

unsigned winpath_upcase(unsigned code_point)
{
	size_t low = 0, high = sizeof(upcase_table) / sizeof(upcase_table[0]);

	if (code_point > 0xFFFF)
		return code_point;
	while (low < high) {
		size_t mid = low + (high - low) / 2;
		const upcase_range *range = &upcase_table[mid];

		if (code_point < range->first) {
			high = mid;
		} else if (code_point > range->last) {
			low = mid + 1;
		} else {
			if ((code_point - range->first) % range->step != 0)
				return code_point;
			return (unsigned)((int)code_point + range->delta);
		}
	}
	return code_point;
}

/* Decodes one UTF-8 sequence at s (at most length bytes). Returns its
 * length and sets *code_point, or 0 for an ill-formed sequence (overlong,
 * surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t length, unsigned *code_point)
{
	unsigned c = s[0], value, min;
	size_t need;

	if (c < 0x80) {
		*code_point = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
		value = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		value = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		value = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (length < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		value = (value << 6) | (s[i] & 0x3F);
	}
	if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
		return 0;
	*code_point = value;
	return need;
}

static bool utf8_valid(const char *s)
{
	size_t length = strlen(s);
	unsigned cp;

	for (size_t i = 0; i < length;) {
		size_t n = utf8_decode((const unsigned char *)s + i, length - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* Walks a UTF-8 string as the upper-cased UTF-16 code units Windows
 * compares (ordinal order is UTF-16 order, not code point order). An
 * ill-formed byte becomes a lone low surrogate, so it compares equal only
 * to itself. */
typedef struct unit_reader {
	const unsigned char *s;
	size_t length;
	size_t pos;
	unsigned pending; /* low surrogate still to deliver, or 0 */
} unit_reader;

static bool unit_next(unit_reader *r, unsigned *unit)
{
	unsigned cp;
	size_t n;

	if (r->pending) {
		*unit = r->pending;
		r->pending = 0;
		return true;
	}
	if (r->pos >= r->length)
		return false;
	n = utf8_decode(r->s + r->pos, r->length - r->pos, &cp);
	if (n == 0) {
		*unit = 0xDC00 + r->s[r->pos];
		r->pos++;
		return true;
	}
	r->pos += n;
	if (cp >= 0x10000) {
		cp -= 0x10000;
		*unit = 0xD800 + (cp >> 10);
		r->pending = 0xDC00 + (cp & 0x3FF);
		return true;
	}
	*unit = winpath_upcase(cp);
	return true;
}

static int fold_compare_n(const char *a, size_t a_length, const char *b, size_t b_length)
{
	unit_reader ra = {(const unsigned char *)a, a_length, 0, 0};
	unit_reader rb = {(const unsigned char *)b, b_length, 0, 0};

	for (;;) {
		unsigned ua = 0, ub = 0;
		bool more_a = unit_next(&ra, &ua);
		bool more_b = unit_next(&rb, &ub);

		if (!more_a || !more_b)
			return (int)more_a - (int)more_b;
		if (ua != ub)
			return ua < ub ? -1 : 1;
	}
}

int winpath_compare(const char *a, const char *b)
{
	return fold_compare_n(a, strlen(a), b, strlen(b));
}

static bool fold_equal(const char *a, size_t a_length, const char *b, size_t b_length)
{
	return fold_compare_n(a, a_length, b, b_length) == 0;
}

/* ASCII-only case-insensitive equality, for keywords ("UNC", "pipe"). */
static bool ascii_iequal(const char *a, size_t a_length, const char *keyword)
{
	size_t k = strlen(keyword);

	if (a_length != k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char x = a[i], y = keyword[i];
		if (x >= 'a' && x <= 'z')
			x = (char)(x - 32);
		if (y >= 'a' && y <= 'z')
			y = (char)(y - 32);
		if (x != y)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ segments */

typedef struct segment {
	const char *text;
	size_t length;
	bool from_cwd; /* already canonical: not validated again */
} segment;

typedef struct parsed_path {
	winpath_info info;
	const char *server; /* UNC */
	size_t server_length;
	const char *share;
	size_t share_length;
	segment *segments;
	size_t count;
	bool trailing_separator;
	const char *stream; /* named stream, NULL when none or default */
	size_t stream_length;
} parsed_path;

static bool is_separator(char c, bool extended)
{
	return c == '\\' || (!extended && c == '/');
}

static bool is_ascii_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char upper_drive(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
}

static bool has_illegal_character(const char *s, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || strchr("<>\"|?*", c) != NULL)
			return true;
	}
	return false;
}

static bool is_dot_or_dotdot(const segment *s)
{
	return (s->length == 1 && s->text[0] == '.') ||
	       (s->length == 2 && s->text[0] == '.' && s->text[1] == '.');
}

static bool only_dots_and_spaces(const char *s, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (s[i] != '.' && s[i] != ' ')
			return false;
	return true;
}

static size_t strip_trailing_dots_and_spaces(const char *s, size_t length)
{
	while (length > 0 && (s[length - 1] == '.' || s[length - 1] == ' '))
		length--;
	return length;
}

/* CON, PRN, AUX, NUL, COM1-9, LPT1-9, COM/LPT + superscript 1-3, CONIN$,
 * CONOUT$: judged on the part before the first '.' or ':', trailing spaces
 * ignored, ASCII case-insensitive. */
static bool is_reserved_dos_name(const char *s, size_t length)
{
	static const char *const plain[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
	size_t base = 0;

	while (base < length && s[base] != '.' && s[base] != ':')
		base++;
	while (base > 0 && s[base - 1] == ' ')
		base--;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (ascii_iequal(s, base, plain[i]))
			return true;
	if (base < 4 || !(ascii_iequal(s, 3, "COM") || ascii_iequal(s, 3, "LPT")))
		return false;
	/* COM0 and LPT0 are not devices. */
	if (base == 4 && s[3] >= '1' && s[3] <= '9')
		return true;
	/* U+00B9, U+00B2, U+00B3 in UTF-8: C2 B9, C2 B2, C2 B3 */
	return base == 5 && (unsigned char)s[3] == 0xC2 &&
	       ((unsigned char)s[4] == 0xB9 || (unsigned char)s[4] == 0xB2 || (unsigned char)s[4] == 0xB3);
}

/* ^[^~]{1,6}~[0-9]+(\.[^.]{0,3})?$ */
static bool looks_like_short_name(const char *s, size_t length)
{
	size_t i = 0, digits = 0;

	while (i < length && s[i] != '~')
		i++;
	if (i == 0 || i > 6 || i == length)
		return false;
	i++;
	while (i < length && s[i] >= '0' && s[i] <= '9') {
		i++;
		digits++;
	}
	if (digits == 0)
		return false;
	if (i == length)
		return true;
	if (s[i] != '.')
		return false;
	i++;
	if (length - i > 3)
		return false;
	for (; i < length; i++)
		if (s[i] == '.')
			return false;
	return true;
}

/* ------------------------------------------------------------ parsing */

static void parsed_free(parsed_path *p)
{
	free(p->segments);
	p->segments = NULL;
}

/* Finds where the namespace prefix ends and what kind it makes. Returns
 * the offset of the first segment, or sets a final kind (DEVICE, PIPE,
 * INVALID) in info and returns 0 with *done set. */
static size_t parse_prefix(const char *path, parsed_path *p, bool *done)
{
	winpath_info *info = &p->info;
	size_t length = strlen(path);
	const char *rest;

	*done = false;
	if (strncmp(path, "\\??\\", 4) == 0) {
		info->kind = WINPATH_DEVICE;
		info->nt_namespace = true;
		*done = true;
		return 0;
	}
	if (strncmp(path, "\\\\?\\", 4) == 0) {
		info->extended = true;
		rest = path + 4;
		if (ascii_iequal(rest, 4, "UNC\\")) {
			info->kind = WINPATH_UNC;
			return 8;
		}
		if (is_ascii_letter(rest[0]) && rest[1] == ':' && rest[2] == '\\') {
			info->kind = WINPATH_DRIVE_ABSOLUTE;
			info->drive = upper_drive(rest[0]);
			return 7;
		}
		if ((length >= 8 && ascii_iequal(rest, 4, "pipe") && rest[4] == '\\') ||
		    ascii_iequal(rest, strlen(rest), "pipe"))
			info->kind = WINPATH_PIPE;
		else
			info->kind = WINPATH_DEVICE;
		*done = true;
		return 0;
	}
	if (length >= 3 && is_separator(path[0], false) && is_separator(path[1], false) &&
	    (path[2] == '.' || path[2] == '?') && (path[3] == '\0' || is_separator(path[3], false))) {
		rest = path[3] ? path + 4 : path + 3;
		size_t word = 0;
		while (rest[word] && !is_separator(rest[word], false))
			word++;
		info->kind = ascii_iequal(rest, word, "pipe") ? WINPATH_PIPE : WINPATH_DEVICE;
		*done = true;
		return 0;
	}
	if (is_separator(path[0], false) && is_separator(path[1], false)) {
		info->kind = WINPATH_UNC;
		return 2;
	}
	if (path[0] != '\0' && path[1] == ':') {
		if (!is_ascii_letter(path[0])) {
			info->kind = WINPATH_INVALID;
			*done = true;
			return 0;
		}
		info->drive = upper_drive(path[0]);
		if (is_separator(path[2], false)) {
			info->kind = WINPATH_DRIVE_ABSOLUTE;
			return 3;
		}
		info->kind = WINPATH_DRIVE_RELATIVE;
		return 2;
	}
	if (is_separator(path[0], false)) {
		info->kind = WINPATH_ROOTED;
		return 1;
	}
	info->kind = WINPATH_RELATIVE;
	return 0;
}

/* Reads the next segment at *pos; false at the end. Empty segments (a
 * repeated separator) come back with length 0. */
static bool next_segment(const char *path, size_t *pos, bool extended, const char **text, size_t *length)
{
	size_t start = *pos;

	if (path[start] == '\0')
		return false;
	size_t end = start;
	while (path[end] && !is_separator(path[end], extended))
		end++;
	*text = path + start;
	*length = end - start;
	*pos = path[end] ? end + 1 : end;
	return true;
}

static bool split_segments(const char *path, size_t offset, parsed_path *p)
{
	bool extended = p->info.extended;
	size_t total = strlen(path);
	size_t pos = offset;
	const char *text;
	size_t length;

	p->segments = calloc(total + 1, sizeof(*p->segments));
	if (p->segments == NULL)
		return false;
	if (extended && strchr(path + offset, '/') != NULL) {
		p->info.kind = WINPATH_INVALID;
		return true;
	}
	p->trailing_separator = total > offset && is_separator(path[total - 1], extended);
	if (p->info.kind == WINPATH_UNC) {
		if (!next_segment(path, &pos, extended, &p->server, &p->server_length) ||
		    !next_segment(path, &pos, extended, &p->share, &p->share_length) ||
		    p->server_length == 0 || p->share_length == 0 ||
		    has_illegal_character(p->server, p->server_length) ||
		    has_illegal_character(p->share, p->share_length) ||
		    only_dots_and_spaces(p->server, p->server_length) ||
		    only_dots_and_spaces(p->share, p->share_length) ||
		    memchr(p->server, ':', p->server_length) || memchr(p->share, ':', p->share_length)) {
			p->info.kind = WINPATH_INVALID;
			return true;
		}
		if (ascii_iequal(p->share, p->share_length, "pipe")) {
			p->info.kind = WINPATH_PIPE;
			return true;
		}
		if (ascii_iequal(p->share, p->share_length, "mailslot")) {
			p->info.kind = WINPATH_DEVICE;
			return true;
		}
	}
	while (next_segment(path, &pos, extended, &text, &length)) {
		if (length == 0) {
			if (extended) {
				p->info.kind = WINPATH_INVALID;
				return true;
			}
			continue;
		}
		if (extended && (length == 1 || length == 2) && only_dots_and_spaces(text, length) &&
		    memchr(text, ' ', length) == NULL) {
			/* NTFS gets '.' and '..' literally under \\?\ and refuses them. */
			p->info.kind = WINPATH_INVALID;
			return true;
		}
		p->segments[p->count++] = (segment){text, length, false};
	}
	return true;
}

/* Applies '.' and '..' lexically, never above the root. Leading '..' of a
 * path relative to an unknown directory stay (keep_leading_up). */
static void resolve_dots(parsed_path *p, bool keep_leading_up)
{
	size_t out = 0;

	for (size_t i = 0; i < p->count; i++) {
		segment s = p->segments[i];
		if (s.from_cwd) {
			p->segments[out++] = s;
			continue;
		}
		if (s.length == 1 && s.text[0] == '.')
			continue;
		if (s.length == 2 && s.text[0] == '.' && s.text[1] == '.') {
			if (out > 0 && !is_dot_or_dotdot(&p->segments[out - 1]))
				out--;
			else if (keep_leading_up)
				p->segments[out++] = s;
			continue;
		}
		p->segments[out++] = s;
	}
	p->count = out;
}

/* Splits "name:stream[:type]" off the last segment. Returns false when the
 * spelling is not one this code can name safely. */
static bool parse_stream(parsed_path *p, segment *last)
{
	const char *colon = memchr(last->text, ':', last->length);

	if (colon == NULL)
		return true;
	size_t name_length = (size_t)(colon - last->text);
	const char *stream = colon + 1;
	size_t rest = last->length - name_length - 1;
	const char *second = memchr(stream, ':', rest);
	size_t stream_length = second ? (size_t)(second - stream) : rest;
	const char *type = second ? second + 1 : NULL;
	size_t type_length = second ? rest - stream_length - 1 : 0;

	if (type != NULL && memchr(type, ':', type_length) != NULL)
		return false;
	p->info.has_stream = true;
	if (type == NULL) {
		if (stream_length == 0)
			return false;
	} else if (ascii_iequal(type, type_length, "$DATA")) {
		if (stream_length == 0)
			p->info.is_default_stream = true;
	} else if (ascii_iequal(type, type_length, "$INDEX_ALLOCATION")) {
		if (stream_length != 0 && !ascii_iequal(stream, stream_length, "$I30"))
			return false;
		p->info.is_default_stream = true;
	} else {
		return false;
	}
	if (!p->info.is_default_stream) {
		p->stream = stream;
		p->stream_length = stream_length;
	}
	last->length = name_length;
	return true;
}

/* A reserved name as the last segment makes the path the device, whatever
 * follows it (a separator, ":s" on it): the canonical form ends in it. */
static void mark_reserved_names(parsed_path *p)
{
	for (size_t i = 0; i < p->count; i++) {
		const segment *s = &p->segments[i];

		if (s->from_cwd || is_dot_or_dotdot(s) || !is_reserved_dos_name(s->text, s->length))
			continue;
		p->info.reserved_dos_name = true;
		if (i + 1 == p->count && !p->info.extended && p->info.kind != WINPATH_UNC)
			p->info.kind = WINPATH_DEVICE;
	}
}

/* Checks and trims the segments that survived dot resolution. */
static void validate_segments(parsed_path *p)
{
	winpath_info *info = &p->info;
	bool extended = info->extended;

	for (size_t i = 0; i < p->count; i++) {
		segment *s = &p->segments[i];
		bool last = i + 1 == p->count && !p->trailing_separator;

		if (s->from_cwd || is_dot_or_dotdot(s))
			continue;
		if (has_illegal_character(s->text, s->length)) {
			info->kind = WINPATH_INVALID;
			return;
		}
		/* "CON:" is the console, not a stream of a file called CON
		 * (but on a share, a stream of the file). */
		if (last && !extended && info->kind != WINPATH_UNC &&
		    is_reserved_dos_name(s->text, s->length)) {
			info->reserved_dos_name = true;
			info->kind = WINPATH_DEVICE;
			return;
		}
		if (!extended) {
			if (only_dots_and_spaces(s->text, s->length)) {
				info->kind = WINPATH_INVALID;
				return;
			}
			if (last) {
				s->length = strip_trailing_dots_and_spaces(s->text, s->length);
			} else {
				size_t stripped = strip_trailing_dots_and_spaces(s->text, s->length);
				/* Win32 removes one trailing period from a middle
				 * segment and nothing else. */
				if (stripped + 1 < s->length ||
				    (stripped < s->length && s->text[stripped] != '.')) {
					info->kind = WINPATH_INVALID;
					return;
				}
				s->length = stripped;
			}
		}
		if (memchr(s->text, ':', s->length) != NULL) {
			if (!last || !parse_stream(p, s)) {
				info->kind = WINPATH_INVALID;
				return;
			}
			/* "f.:s" keeps "f." for NTFS: not the file "f". */
			if (!extended && s->length != strip_trailing_dots_and_spaces(s->text, s->length)) {
				info->kind = WINPATH_INVALID;
				return;
			}
		}
		if (looks_like_short_name(s->text, s->length))
			info->maybe_short_name = true;
	}
	/* ":s" as the last segment: a stream of the directory before it. */
	if (p->count > 0 && p->segments[p->count - 1].length == 0)
		p->count--;
	mark_reserved_names(p);
}

/* Parses path into p. When base (a parsed absolute cwd) is given and path
 * needs it, its root and segments are put in front. */
static bool parse_path(const char *path, const parsed_path *base, parsed_path *p)
{
	bool done;
	size_t offset;

	memset(p, 0, sizeof(*p));
	if (path == NULL || path[0] == '\0' || !utf8_valid(path)) {
		p->info.kind = WINPATH_INVALID;
		return true;
	}
	offset = parse_prefix(path, p, &done);
	if (done)
		return true;
	size_t base_count = base ? base->count : 0;
	if (!split_segments(path, offset, p))
		return false;
	if (p->info.kind != WINPATH_DRIVE_ABSOLUTE && p->info.kind != WINPATH_UNC &&
	    p->info.kind != WINPATH_DRIVE_RELATIVE && p->info.kind != WINPATH_ROOTED &&
	    p->info.kind != WINPATH_RELATIVE)
		return true;
	bool relative = p->info.kind == WINPATH_RELATIVE || p->info.kind == WINPATH_DRIVE_RELATIVE ||
			p->info.kind == WINPATH_ROOTED;
	if (relative && base != NULL) {
		segment *all = calloc(p->count + base_count + 1, sizeof(*all));
		if (all == NULL) {
			parsed_free(p);
			return false;
		}
		size_t n = 0;
		if (p->info.kind != WINPATH_ROOTED)
			for (size_t i = 0; i < base_count; i++)
				all[n++] = (segment){base->segments[i].text, base->segments[i].length, true};
		for (size_t i = 0; i < p->count; i++)
			all[n++] = p->segments[i];
		free(p->segments);
		p->segments = all;
		p->count = n;
	}
	resolve_dots(p, relative && base == NULL);
	validate_segments(p);
	return true;
}

/* ------------------------------------------------------------ public */

winpath_info winpath_classify(const char *path)
{
	parsed_path p;
	winpath_info info;

	if (!parse_path(path, NULL, &p)) {
		parsed_free(&p);
		memset(&info, 0, sizeof(info));
		info.kind = WINPATH_INVALID;
		return info;
	}
	info = p.info;
	parsed_free(&p);
	if (info.kind == WINPATH_INVALID || info.kind == WINPATH_DEVICE || info.kind == WINPATH_PIPE) {
		info.drive = 0;
		info.has_stream = false;
		info.is_default_stream = false;
	}
	return info;
}

static char *render(const parsed_path *p)
{
	size_t size = 4 + p->server_length + p->share_length;

	for (size_t i = 0; i < p->count; i++)
		size += p->segments[i].length + 1;
	char *out = malloc(size);
	if (out == NULL)
		return NULL;
	size_t n = 0;
	if (p->info.kind == WINPATH_UNC) {
		out[n++] = '\\';
		out[n++] = '\\';
		memcpy(out + n, p->server, p->server_length);
		n += p->server_length;
		out[n++] = '\\';
		memcpy(out + n, p->share, p->share_length);
		n += p->share_length;
	} else {
		out[n++] = p->info.drive;
		out[n++] = ':';
		if (p->count == 0)
			out[n++] = '\\';
	}
	for (size_t i = 0; i < p->count; i++) {
		out[n++] = '\\';
		memcpy(out + n, p->segments[i].text, p->segments[i].length);
		n += p->segments[i].length;
	}
	out[n] = '\0';
	return out;
}

/* strndup is not in mingw's C library. */
static char *copy_n(const char *s, size_t length)
{
	char *out = malloc(length + 1);

	if (out != NULL) {
		memcpy(out, s, length);
		out[length] = '\0';
	}
	return out;
}

static bool is_absolute(winpath_kind kind)
{
	return kind == WINPATH_DRIVE_ABSOLUTE || kind == WINPATH_UNC;
}

char *winpath_canonical(const char *path, const char *cwd, char **stream)
{
	parsed_path base, p;
	bool have_base = false;
	char *out = NULL;

	if (stream != NULL)
		*stream = NULL;
	winpath_info info = winpath_classify(path);
	if (!is_absolute(info.kind) && info.kind != WINPATH_RELATIVE && info.kind != WINPATH_DRIVE_RELATIVE &&
	    info.kind != WINPATH_ROOTED)
		return NULL;
	if (!is_absolute(info.kind)) {
		if (cwd == NULL)
			return NULL;
		if (!parse_path(cwd, NULL, &base))
			goto out;
		have_base = true;
		if (!is_absolute(base.info.kind) || base.info.has_stream)
			goto out;
		if (info.kind == WINPATH_DRIVE_RELATIVE &&
		    (base.info.kind != WINPATH_DRIVE_ABSOLUTE || base.info.drive != info.drive))
			goto out;
	}
	if (!parse_path(path, have_base ? &base : NULL, &p))
		goto out;
	if (p.info.kind == WINPATH_RELATIVE || p.info.kind == WINPATH_DRIVE_RELATIVE ||
	    p.info.kind == WINPATH_ROOTED) {
		/* The result takes the cwd's root. */
		p.info.kind = base.info.kind;
		p.info.drive = base.info.drive;
		p.server = base.server;
		p.server_length = base.server_length;
		p.share = base.share;
		p.share_length = base.share_length;
	}
	if (is_absolute(p.info.kind)) {
		out = render(&p);
		if (out != NULL && stream != NULL && p.stream != NULL) {
			*stream = copy_n(p.stream, p.stream_length);
			if (*stream == NULL) {
				free(out);
				out = NULL;
			}
		}
	}
	parsed_free(&p);
out:
	if (have_base)
		parsed_free(&base);
	return out;
}

/* A canonical path without its namespace prefix: "C:\x" for "\\?\C:\x",
 * "server\share\x" (unc set) for "\\server\share\x" and
 * "\\?\UNC\server\share\x", so both spellings compare alike. */
typedef struct path_view {
	const char *text;
	size_t length;
	bool unc;
	bool extended;
} path_view;

static path_view view_of(const char *path)
{
	path_view v = {path, strlen(path), false, false};

	if (strncmp(path, "\\\\?\\", 4) == 0) {
		v.extended = true;
		if (ascii_iequal(path + 4, 4, "UNC\\")) {
			v.text = path + 8;
			v.unc = true;
		} else {
			v.text = path + 4;
		}
	} else if (strncmp(path, "\\\\", 2) == 0) {
		v.text = path + 2;
		v.unc = true;
	}
	v.length = strlen(v.text);
	return v;
}

/* Length of root's meaningful text: without a trailing separator unless
 * it is a drive root ("C:\"). */
static size_t root_length(path_view root)
{
	size_t n = root.length;

	while (n > 0 && root.text[n - 1] == '\\' && !(n == 3 && root.text[1] == ':' && !root.unc))
		n--;
	return n;
}

/* Offset in path.text just after root, at a separator or the end; or
 * (size_t)-1 when path is not root or below it. */
static size_t match_root(path_view path, path_view root, bool slash_separates)
{
	size_t n = root_length(root);

	if (n == 0 || path.unc != root.unc || path.length < n)
		return (size_t)-1;
	if (!fold_equal(path.text, n, root.text, n))
		return (size_t)-1;
	if (root.text[n - 1] == '\\')
		return n;
	if (path.length == n || path.text[n] == '\\' || (slash_separates && path.text[n] == '/'))
		return n;
	return (size_t)-1;
}

bool winpath_is_within(const char *path, const char *root)
{
	if (path == NULL || root == NULL)
		return false;
	path_view p = view_of(path), r = view_of(root);
	size_t at = match_root(p, r, false);

	if (at == (size_t)-1)
		return false;
	/* Canonical input only. '.' and '..' would climb out of root once
	 * Win32 resolves them, and '/' is a separator Win32 would still
	 * rewrite: such a path is never reported inside. Other names made of
	 * dots and spaces ("...") exist only under \\?\, where NTFS takes
	 * them literally, so they stay inside. */
	if (memchr(p.text, '/', p.length) != NULL)
		return false;
	const char *s = p.text + at;
	while (*s) {
		if (*s == '\\') {
			s++;
			continue;
		}
		size_t n = strcspn(s, "\\");
		segment seg = {s, n, false};
		if (is_dot_or_dotdot(&seg))
			return false;
		s += n;
	}
	return true;
}

int winpath_protected_match(const char *path, const char *root, const char *const *names, size_t name_count,
			    size_t *component_end)
{
	if (path == NULL || root == NULL || names == NULL)
		return -1;
	path_view p = view_of(path), r = view_of(root);
	/* Over-matching is the safe side here: '/' separates too. */
	size_t at = match_root(p, r, !p.extended);

	if (at == (size_t)-1)
		return -1;
	const char *s = p.text + at;
	while (*s) {
		if (*s == '\\' || *s == '/') {
			s++;
			continue;
		}
		size_t n = strcspn(s, p.extended ? "\\" : "\\/");
		/* ".git::$DATA" and ".git:x" are the protected entry's own streams. */
		const char *colon = memchr(s, ':', n);
		size_t name_length = colon ? (size_t)(colon - s) : n;
		size_t stripped = strip_trailing_dots_and_spaces(s, name_length);
		for (size_t i = 0; i < name_count; i++) {
			const char *name = names[i];
			size_t wanted = strip_trailing_dots_and_spaces(name, strlen(name));
			if (stripped > 0 && fold_equal(s, stripped, name, wanted)) {
				if (component_end != NULL)
					*component_end = (size_t)(s - path) + name_length;
				return (int)i;
			}
		}
		s += n;
	}
	return -1;
}
