// Generates the Java SimpleDateFormat test vectors for pollhook-core's date_pattern module.
// Run through generate.sh (Java 17). Deterministic: fixed seed, Locale.US, JVM default zone
// UTC (Java searches the default zone's names second when parsing 'z'), and
// set2DigitYearStart(1950-01-01T00:00Z) so two-digit years parse the same on every run.
//
// Output (JSON Lines, one case per line):
//   format_cases.jsonl: {"pattern","zone","millis","expected"}  expected = format(millis)
//   parse_cases.jsonl:  {"pattern","zone","text","millis"}      millis = parse(text)
//
// Choices and exclusions, each for a reason:
// - Java and tzdb disagree before 1900: Java's ZoneInfo has no local mean time and uses each
//   zone's current raw offset there. pollhook reproduces that, so old instants are included
//   (years -1000..1900, BC, the Julian calendar and the 1582 cutover).
// - After 2100 Java's ZoneInfo table ends and its last DST rules apply; chrono-tz has no DST
//   there, which pollhook makes up for, so DST zones get instants up to 2400 too. Years 10000+
//   are used with fixed-offset zones only (nobody has DST data for them).
// - Parse cases are Java's own output parsed back, kept only when Java's parse(format(t)) == t,
//   except the deliberate default-filling patterns (fields missing from the pattern) and the
//   hand-made DST gap/overlap texts, whose expected value is whatever Java's parse returns.
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.text.*;
import java.time.*;
import java.time.zone.*;
import java.util.*;

public class GenerateDatePatternVectors {
    static final long SEED = 20240601L;
    static final Random RND = new Random(SEED);
    static final long TWO_DIGIT_START = LocalDate.of(1950, 1, 1).toEpochDay() * 86_400_000L;

    static final String[] ZONES = {
        "GMT", "UTC", "GMT+02:00", "GMT-05:30", "GMT+05:45", "America/New_York", "America/Los_Angeles",
        "America/Chicago", "America/Sao_Paulo", "Europe/London", "Europe/Paris", "Europe/Berlin",
        "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham",
        "Asia/Kathmandu", "Africa/Johannesburg", "Etc/GMT-3",
    };
    static final String[] FIXED_ZONES = { "GMT", "UTC", "GMT+02:00", "GMT-05:30", "GMT+05:45", "Etc/GMT-3" };
    static final String[] DST_ZONES = {
        "America/New_York", "Europe/Paris", "Australia/Sydney", "Australia/Lord_Howe",
        "America/Los_Angeles", "Europe/London", "Pacific/Chatham", "America/Sao_Paulo",
    };

    // Every letter with its count variants, embedded in some context.
    static final String LETTERS = "GyYMLwWDdFEuaHkKhmsSzZX";

    static final String[] PATTERNS = {
        "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyy-MM-dd'T'HH:mm:ssXXX",
        "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "yyyy-MM-dd'T'HH:mm:ssZ", "yyyy-MM-dd'T'HH:mm:ss.SSSX",
        "yyyy-MM-dd'T'HH:mmXX", "yyyy-MM-dd HH:mm:ss z", "yyyy-MM-dd HH:mm:ss.SSS zzzz",
        "EEE, dd MMM yyyy HH:mm:ss zzz", "EEE, d MMM yyyy HH:mm:ss Z", "EEEE, MMMM d, yyyy h:mm:ss.SSS a zzzz",
        "hh 'o''clock' a, zzzz", "'It''s' h 'o''clock' a", "''yyyy''-MM", "yyyyMMddHHmmss", "yyyyMMddHHmmssSSS",
        "yyMMddHHmm", "dd/MM/yy HH:mm", "MM/dd/yyyy hh:mm:ss a", "yyyy.MM.dd G 'at' HH:mm:ss z",
        "K:mm:ss a, z", "YYYY-'W'ww-u", "YYYY-'W'ww-u HH:mm:ss", "yyyy-DDD HH:mm:ss.SSS", "yyyy-MM-dd F E W w D",
        "G yyyy-MM-dd HH:mm:ss.SSS", "yyyyy.MMMMM.dd GGG hh:mm:ss.SSS aaa", "LLL LLLL L LL yyyy",
        "yyyy-MM-dd'T'HH:mm:ss.SSSzzzz", "kk:mm:ss.SSS dd.MM.yyyy", "S SS SSS SSSS SSSSSS", "yyyyyy-MM-dd",
        "y yy yyy yyyy", "Y YY YYY YYYY YYYYY", "dd MMM yyyy HH:mm:ss X", "d/M/yyyy H:m:s", "EEEEE MMMMMM d",
        "yyyy-MM-dd HH:mm:ss", "MMM d, yyyy h:mm a", "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "zzzz z zz zzz",
        "HH:mm:ss Z X XX XXX", "uuu u EEE EEEE", "G yyyy-MM-dd'T'HH:mm:ss.SSSZ",
    };

    // Patterns missing fields on purpose: Java fills the rest from 1970-01-01 00:00:00.000.
    static final String[] DEFAULT_FILLING = {
        "yyyy-MM-dd", "HH:mm", "MMM yyyy", "yy", "yyyy", "EEE", "dd", "h a", "mm:ss", "yyyy-MM",
        "D", "w yyyy", "W MMM yyyy", "yyyy-MM-dd'T'HH:mm", "Y", "zzzz", "SSS", "MMMM",
    };

    static final StringBuilder FORMAT = new StringBuilder();
    static final StringBuilder PARSE = new StringBuilder();
    static int formatCount = 0;
    static int parseCount = 0;
    static final Set<String> SEEN = new HashSet<>();

    public static void main(String[] args) throws Exception {
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        String outDir = args.length > 0 ? args[0] : ".";

        // 1. Every letter, every count 1..5 (X 1..3), alone and in context, in several zones.
        for (char c : LETTERS.toCharArray()) {
            int max = c == 'X' ? 3 : 5;
            for (int n = 1; n <= max; n++) {
                String field = String.valueOf(c).repeat(n);
                String[] patterns = { field, "yyyy-MM-dd HH:mm:ss.SSS '[' " + field + " ']'" };
                for (String p : patterns) {
                    for (int k = 0; k < 6; k++) {
                        String zone = pick(ZONES);
                        addFormat(p, zone, instantFor(k, zone, p));
                    }
                }
            }
        }
        // 2. The fixed pattern list over every zone and every kind of instant.
        for (String p : PATTERNS) {
            for (String zone : ZONES) {
                for (int k = 0; k < 3; k++) {
                    addFormat(p, zone, instantFor(RND.nextInt(8), zone, p));
                }
            }
        }
        // 3. DST transitions: both sides of gaps and overlaps.
        for (String zone : DST_ZONES) {
            for (long t : transitions(zone, 1950, 2099, 12)) {
                for (int k = 0; k < 4; k++) {
                    long delta = (RND.nextInt(7) - 3) * 1_800_000L + RND.nextInt(1_800_000);
                    addFormat(pick(new String[] { "yyyy-MM-dd HH:mm:ss.SSS z", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
                        "EEE, d MMM yyyy HH:mm:ss zzzz Z", "yyyy-MM-dd hh:mm a z" }), zone, t + delta);
                }
            }
        }
        // 4. The Julian calendar, BC years and week years there, and DST zones after 2100.
        String[] ancient = { "G yyyy-MM-dd HH:mm:ss.SSS", "G yyyy-MM-dd'T'HH:mm:ss.SSSZ z", "Y YY YYY YYYY YYYYY G",
            "yyyy-MM-dd F E W w D G", "EEE, d MMM yyyy G", "yy-MM-dd G u", "GGGG y/M/d h:mm a" };
        for (int k = 0; k < 240; k++) {
            String p = pick(ancient);
            String zone = pick(ZONES);
            long t = k % 3 == 0 ? instantFor(8, zone, p) : instantFor(RND.nextInt(2) == 0 ? 5 : 9, zone, p);
            addFormat(p, zone, t);
        }
        // 5. Random fill to the target size.
        while (formatCount < 2600) {
            String p = RND.nextInt(3) == 0 ? randomPattern() : pick(PATTERNS);
            String zone = pick(ZONES);
            addFormat(p, zone, instantFor(RND.nextInt(8), zone, p));
        }

        // Parse cases: Java's own output read back.
        String[] roundTrip = Arrays.copyOf(PATTERNS, PATTERNS.length);
        int guard = 0;
        while (parseCount < 1800 && guard++ < 100_000) {
            String p = pick(roundTrip);
            String zone = pick(ZONES);
            long t = instantFor(RND.nextInt(8), zone, p);
            String text = sdf(p, zone).format(new Date(t));
            String parseZone = RND.nextInt(5) == 0 ? pick(ZONES) : zone;
            Long parsed = parse(p, parseZone, text);
            if (parsed != null && parsed == t) {
                addParse(p, parseZone, text, parsed);
            }
        }
        for (int k = 0; k < 400; k++) {
            String p = pick(ancient);
            String zone = pick(ZONES);
            long t = instantFor(k % 2 == 0 ? 9 : 8, zone, p);
            String text = sdf(p, zone).format(new Date(t));
            Long parsed = parse(p, zone, text);
            if (parsed != null && parsed == t) addParse(p, zone, text, parsed);
        }
        for (String p : DEFAULT_FILLING) {
            for (int k = 0; k < 12; k++) {
                String zone = pick(ZONES);
                long t = instantFor(RND.nextInt(8), zone, p);
                String text = sdf(p, zone).format(new Date(t));
                Long parsed = parse(p, zone, text);
                if (parsed != null) {
                    addParse(p, zone, text, parsed);
                }
            }
        }
        // Local times inside DST gaps and overlaps, written by hand from the transitions.
        for (String zone : DST_ZONES) {
            ZoneRules rules = ZoneId.of(zone).getRules();
            List<Long> chosen = transitions(zone, 1970, 2099, 10);
            chosen.addAll(transitions(zone, 2101, 2400, 4));
            for (long t : chosen) {
                ZoneOffsetTransition tr = rules.nextTransition(Instant.ofEpochMilli(t - 1));
                if (tr == null) continue;
                LocalDateTime before = tr.getDateTimeBefore();
                long span = Math.abs(tr.getDuration().toMinutes());
                for (long m : new long[] { -1, 0, 1, span / 2, span - 1, span, span + 1 }) {
                    LocalDateTime wall = before.plusMinutes(m).minusMinutes(tr.isGap() ? 0 : span);
                    String text = String.format("%04d-%02d-%02d %02d:%02d:%02d", wall.getYear(), wall.getMonthValue(),
                        wall.getDayOfMonth(), wall.getHour(), wall.getMinute(), wall.getSecond());
                    Long parsed = parse("yyyy-MM-dd HH:mm:ss", zone, text);
                    if (parsed != null) addParse("yyyy-MM-dd HH:mm:ss", zone, text, parsed);
                }
            }
        }

        write(new File(outDir, "format_cases.jsonl"), FORMAT);
        write(new File(outDir, "parse_cases.jsonl"), PARSE);
        System.out.println("format cases: " + formatCount + ", parse cases: " + parseCount);
    }

    static SimpleDateFormat sdf(String pattern, String zone) {
        SimpleDateFormat f = new SimpleDateFormat(pattern, Locale.US);
        f.set2DigitYearStart(new Date(TWO_DIGIT_START)); // before setTimeZone: the year is read in UTC
        f.setTimeZone(TimeZone.getTimeZone(zone));
        return f;
    }

    static Long parse(String pattern, String zone, String text) {
        try {
            return sdf(pattern, zone).parse(text).getTime();
        } catch (ParseException e) {
            return null;
        }
    }

    // Instant kinds: 0-2 modern (1900-2100), 3 year boundary, 4 leap days, 5 before 1900 incl. BC,
    // 6 after 9999 (fixed-offset zones only), 7 around the Gregorian cutover, 8 years 2100-2400,
    // 9 years -1000..1000 (Julian, BC).
    static long instantFor(int kind, String zone, String pattern) {
        boolean fixed = Arrays.asList(FIXED_ZONES).contains(zone);
        return rawInstant(kind, fixed);
    }

    static long rawInstant(int kind, boolean fixedZone) {
        switch (kind) {
            case 3: {
                int y = 1901 + RND.nextInt(198);
                long base = LocalDate.of(y, 12, 24).toEpochDay() * 86_400_000L;
                return base + (long) (RND.nextDouble() * 15 * 86_400_000L);
            }
            case 4: {
                int[] years = { 1904, 1996, 2000, 2004, 2024, 2028, 2096, 1900, 2100 };
                int y = years[RND.nextInt(years.length)];
                long base = LocalDate.of(y, 2, 27).toEpochDay() * 86_400_000L;
                return base + (long) (RND.nextDouble() * 4 * 86_400_000L);
            }
            case 5: return between(-500, 1900);
            case 8: return between(2100, 2400);
            case 9: return between(-1000, 1000);
            case 6: return fixedZone ? between(10000, 20000) : between(1900, 2100);
            case 7: {
                long cut = -12219292800000L;
                return cut + (long) ((RND.nextDouble() - 0.5) * 40 * 86_400_000L);
            }
            default: return between(1900, 2100);
        }
    }

    static long between(int fromYear, int toYear) {
        long a = LocalDate.of(fromYear, 1, 1).toEpochDay() * 86_400_000L;
        long b = LocalDate.of(toYear, 1, 1).toEpochDay() * 86_400_000L;
        long t = a + (long) (RND.nextDouble() * (b - a));
        switch (RND.nextInt(4)) {
            case 0: return t - Math.floorMod(t, 1000L);            // whole seconds
            case 1: return t - Math.floorMod(t, 60_000L);          // whole minutes
            default: return t;
        }
    }

    static List<Long> transitions(String zone, int fromYear, int toYear, int howMany) {
        ZoneRules rules = ZoneId.of(zone).getRules();
        List<Long> all = new ArrayList<>();
        Instant t = LocalDate.of(fromYear, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant end = LocalDate.of(toYear, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();
        for (ZoneOffsetTransition tr = rules.nextTransition(t); tr != null && tr.getInstant().isBefore(end);
             tr = rules.nextTransition(tr.getInstant())) {
            all.add(tr.getInstant().toEpochMilli());
        }
        List<Long> chosen = new ArrayList<>();
        for (int i = 0; i < howMany && !all.isEmpty(); i++) {
            chosen.add(all.get(RND.nextInt(all.size())));
        }
        return chosen;
    }

    static String randomPattern() {
        StringBuilder sb = new StringBuilder();
        int parts = 1 + RND.nextInt(5);
        String seps = " -/:.,T";
        for (int i = 0; i < parts; i++) {
            char c = LETTERS.charAt(RND.nextInt(LETTERS.length()));
            int n = 1 + RND.nextInt(c == 'X' ? 3 : 5);
            sb.append(String.valueOf(c).repeat(n));
            if (i + 1 < parts) {
                char s = seps.charAt(RND.nextInt(seps.length()));
                if (s == 'T') sb.append("'T'"); else sb.append(s);
            }
        }
        if (RND.nextInt(6) == 0) sb.append(" 'o''clock'");
        return sb.toString();
    }

    static void addFormat(String pattern, String zone, long millis) {
        if (!SEEN.add("f|" + pattern + "|" + zone + "|" + millis)) return;
        String text = sdf(pattern, zone).format(new Date(millis));
        FORMAT.append("{\"pattern\":").append(json(pattern)).append(",\"zone\":").append(json(zone))
            .append(",\"millis\":").append(millis).append(",\"expected\":").append(json(text)).append("}\n");
        formatCount++;
    }

    static void addParse(String pattern, String zone, String text, long millis) {
        if (!SEEN.add("p|" + pattern + "|" + zone + "|" + text)) return;
        PARSE.append("{\"pattern\":").append(json(pattern)).append(",\"zone\":").append(json(zone))
            .append(",\"text\":").append(json(text)).append(",\"millis\":").append(millis).append("}\n");
        parseCount++;
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    static <T> T pick(T[] items) {
        return items[RND.nextInt(items.length)];
    }

    static void write(File f, StringBuilder sb) throws IOException {
        try (Writer w = new OutputStreamWriter(new FileOutputStream(f), StandardCharsets.UTF_8)) {
            w.write(sb.toString());
        }
    }
}
