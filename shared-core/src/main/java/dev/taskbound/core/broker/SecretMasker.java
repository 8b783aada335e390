package dev.taskbound.core.broker;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces secret values in text with {@code ***}: every known secret, in the encoded forms
 * Taskbound writes it in too ({@link EncodedForms}: URL, XML, JSON), each line of a multi-line
 * secret (a host may print a PEM key line by line), each secret-named member of a JSON object secret, and any GitHub token, known or not: the classic
 * {@code ghp_/gho_/ghu_/ghs_/ghr_} form, the stateless JWT-form {@code ghs_} token, and fine-grained
 * {@code github_pat_} tokens. Immutable and thread-safe.
 */
public final class SecretMasker {
  /** Lines shorter than this are not masked on their own: they are separators, not secrets. */
  private static final int MIN_LINE = 6;

  private static final Pattern GITHUB_TOKENS =
      Pattern.compile("ghs_[A-Za-z0-9._]{36,}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}");

  private static final String FINE_GRAINED = "github_pat_";

  private static final String MASK = "***";
  private static final String CUT = "...";

  private final List<String> needles;
  /** The needles in lower case where that differs: a host name is recorded lower-cased. */
  private final List<String> lowerCaseNeedles;
  /** The needles as ISO 8859-1 text of their UTF-8 bytes, to cut a byte stream with ({@link #safeCut(byte[], int)}). */
  private final List<String> byteNeedles;

  /** @param secrets the secrets to mask; null elements are not allowed */
  public SecretMasker(Collection<Secret> secrets) {
    Set<String> values = new LinkedHashSet<>();
    for (Secret secret : secrets) {
      String value = secret.reveal();
      values.add(value);
      values.addAll(EncodedForms.of(value));
      for (String member : objectMembers(value)) {
        values.add(member);
        values.addAll(EncodedForms.of(member));
      }
      if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
        for (String line : value.split("\\R")) {
          if (line.strip().length() >= MIN_LINE) {
            values.add(line.strip());
          }
        }
      }
    }
    List<String> sorted = new ArrayList<>(values);
    // Longest first, so a secret containing another is masked whole.
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    this.needles = List.copyOf(sorted);
    this.lowerCaseNeedles = needles.stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).filter(n -> !needles.contains(n))
        .toList();
    this.byteNeedles = needles.stream()
        .map(n -> new String(n.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1)).toList();
  }

  /** Words in a member's name that say its value is secret (password, api_key, client_secret, token, value...). */
  private static final List<String> SECRET_NAMES =
      List.of("pass", "pwd", "secret", "token", "key", "cred", "auth", "private", "value");

  /**
   * The string members of a secret that is a JSON object (a Vault secret read whole, without
   * {@code field}) whose names say they are secret ({@link #SECRET_NAMES}), each {@value #MIN_LINE}
   * characters or more: the agent may print one alone ({@code jq -r .password}). A host name or a
   * user name beside them stays readable, in the agent's output and in the evidence's egress events.
   * Empty for any other secret.
   */
  private static List<String> objectMembers(String value) {
    if (!value.stripLeading().startsWith("{")) {
      return List.of();
    }
    try {
      com.fasterxml.jackson.databind.JsonNode node = dev.taskbound.core.Json.MAPPER.readTree(value);
      List<String> members = new ArrayList<>();
      if (node != null && node.isObject()) {
        node.fields().forEachRemaining(member -> {
          String name = member.getKey().toLowerCase(java.util.Locale.ROOT);
          if (member.getValue().isTextual() && member.getValue().asText().strip().length() >= MIN_LINE
              && SECRET_NAMES.stream().anyMatch(name::contains)) {
            members.add(member.getValue().asText());
          }
        });
      }
      return members;
    } catch (java.io.IOException notJson) {
      return List.of();
    }
  }

  /**
   * The strings this masker hides (each secret, and each line of a multi-line one), longest first:
   * for a host that must also mask on its own side, such as the GitHub runner's {@code ::add-mask::}.
   * Secret values: never log them.
   */
  public List<String> values() {
    return needles;
  }

  /**
   * Where {@code text} can be cut to pass its start on before the rest has come: no secret or token
   * across the cut, and none that could still start after it (a secret's prefix, a token's start at
   * the end). 0 when no start can be passed on yet.
   */
  public int safeCut(String text) {
    return safeCut(text, needles);
  }

  /**
   * As {@link #safeCut(String)}, in bytes, for a stream that may not be UTF-8 (an agent's output,
   * which it shapes): the bytes are compared as bytes with the secrets' UTF-8 bytes.
   */
  public int safeCut(byte[] bytes, int length) {
    return safeCut(new String(bytes, 0, length, StandardCharsets.ISO_8859_1), byteNeedles);
  }

  private static int safeCut(String text, List<String> values) {
    int cut = text.length();
    for (String value : values) {
      for (int l = Math.min(value.length() - 1, text.length()); l > 0; l--) {
        if (text.endsWith(value.substring(0, l))) {
          cut = Math.min(cut, text.length() - l);
          break;
        }
      }
    }
    int start = tokenStart(text);
    if (start >= 0) {
      cut = Math.min(cut, start);
    }
    boolean moved = true;
    while (moved) { // a whole secret or token across the cut moves it to the secret's start
      moved = false;
      for (String value : values) {
        int from = Math.max(0, cut - value.length() + 1);
        int at = text.indexOf(value, from);
        if (at >= 0 && at < cut && at + value.length() > cut) {
          cut = at;
          moved = true;
        }
      }
      Matcher m = GITHUB_TOKENS.matcher(text);
      while (m.find()) {
        if (m.start() < cut && m.end() > cut) {
          cut = m.start();
          moved = true;
        }
      }
    }
    return cut;
  }

  /**
   * As {@link #mask}, for a text that may have been cut short before it was masked (a summary ending
   * in {@code ...}, as {@code ToolCall} shortens them): the start of a secret just before the cut is
   * masked too, since the agent chooses where the cut falls and could leave all of a secret but its
   * last character before it.
   */
  public String maskCut(String text) {
    String masked = mask(text);
    if (masked == null || !masked.endsWith(CUT)) {
      return masked;
    }
    String body = masked.substring(0, masked.length() - CUT.length());
    int cut = safeCut(body);
    return cut == body.length() ? masked : body.substring(0, cut) + MASK + CUT;
  }

  /**
   * Where the end of {@code text} that may still grow into a token this masks by its form begins
   * ({@code g}, {@code ghs_abc}, {@code github_pat_x...}), or -1. Linear: a regular expression
   * anchored at the end tries every start and took seconds on 64 KiB of {@code ghs_ghs_...}.
   */
  private static int tokenStart(String text) {
    int end = text.length();
    int alnum = runStart(text, "");        // [A-Za-z0-9]*: a classic token's body
    int server = runStart(text, "._");     // [A-Za-z0-9._]*: a ghs_ token's, JWT form included
    int fine = runStart(text, "_");        // [A-Za-z0-9_]*: a github_pat_ token's
    for (int p = Math.max(0, Math.min(alnum, Math.min(server, fine)) - FINE_GRAINED.length()); p < end; p++) {
      if (text.charAt(p) != 'g') {
        continue;
      }
      int left = end - p;
      boolean classic = left >= 4 && text.startsWith("gh", p) && "pousr".indexOf(text.charAt(p + 2)) >= 0 && text.charAt(p + 3) == '_';
      if (left <= FINE_GRAINED.length() && (FINE_GRAINED.startsWith(text.substring(p)) || partialClassic(text, p))
          || classic && (alnum <= p + 4 || text.charAt(p + 2) == 's' && server <= p + 4)
          || left >= FINE_GRAINED.length() && text.startsWith(FINE_GRAINED, p) && fine <= p + FINE_GRAINED.length()) {
        return p;
      }
    }
    return -1;
  }

  /** {@code gh}, {@code ghp}: the start of a classic token's prefix, cut off by the end of the text. */
  private static boolean partialClassic(String text, int p) {
    String rest = text.substring(p);
    return rest.equals("g") || rest.equals("gh") || rest.length() == 3 && rest.startsWith("gh") && "pousr".indexOf(rest.charAt(2)) >= 0;
  }

  /** Where the run of letters, digits and {@code extra} that ends {@code text} begins. */
  private static int runStart(String text, String extra) {
    int i = text.length();
    while (i > 0) {
      char c = text.charAt(i - 1);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || extra.indexOf(c) >= 0)) {
        break;
      }
      i--;
    }
    return i;
  }

  /**
   * The text with every secret value this masker was given replaced by {@code ***}, as given and in
   * lower case (a host name is recorded lower-cased, and a token's checksum could restore its case),
   * without the token-shaped patterns {@link #mask} also replaces; null gives null.
   */
  public String maskValues(String text) {
    if (text == null) {
      return null;
    }
    String masked = text;
    for (String needle : needles) {
      masked = masked.replace(needle, MASK);
    }
    for (String needle : lowerCaseNeedles) {
      masked = masked.replace(needle, MASK);
    }
    return masked;
  }

  /** The text with every secret replaced by {@code ***}; null gives null. */
  public String mask(String text) {
    if (text == null) {
      return null;
    }
    return GITHUB_TOKENS.matcher(maskValues(text)).replaceAll(Matcher.quoteReplacement(MASK));
  }
}
