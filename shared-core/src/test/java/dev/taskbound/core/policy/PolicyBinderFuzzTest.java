package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.SafeText;
import dev.taskbound.core.testing.Fuzz;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * Issue 18: the policy binder under random input. Whatever the text, binding either succeeds or
 * throws a {@link PolicyException} (nothing else: no StackOverflowError, no YAMLException, no
 * NumberFormatException) whose message is one line of printable characters of bounded length.
 * Random YAML-ish documents built from the binder's own keys, and random byte-level mutations of
 * valid policies. Past crashes are kept as regression cases.
 */
class PolicyBinderFuzzTest {
  private static final List<String> VALID = List.of(
      "apiVersion: taskbound.dev/v1\nkind: Task\nprofile: agent\nspec:\n  ttl: 20m\n  egress:\n    allow: [api.github.com,"
          + " '*.npmjs.org:443', '10.1.0.0/16:8080', '[::1]:8443']\n    deny: [evil.example.com]\n    hosts: {api.demo.test:"
          + " 127.0.0.1}\n    allowPrivate: false\n  gate:\n    rules:\n      - {action: git.push, decision: deny}\n",
      "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n  identity: {trustDomain: acme.dev, audiences: [a, b]}\n"
          + "  sandbox: {backends: [netns], enforcement: strict}\n  github:\n    repositories: [acme/*]\n"
          + "    permissions: {contents: read}\n  vault:\n    policies: [app]\n    ttl: 10m\n    numUses: 3\n"
          + "    secrets:\n      - {name: db, kind: kv2, path: secret/app/db, env: DB}\n  registries:\n"
          + "    - {kind: npm, url: 'https://registry.npmjs.org/', scope: '@acme', token: {env: NPM_TOKEN}}\n"
          + "profiles:\n  agent: {ttl: 15m}\n");

  /** Longest message: the whole-message cut plus its ellipsis and length note. */
  private static final int MAX_MESSAGE = SafeText.MAX_LINE_CHARS + 32;

  @Test
  void randomDocumentsGiveABoundedOneLineErrorOrAPolicy() {
    Fuzz.qt().forAll(documents()).checkAssert(PolicyBinderFuzzTest::assertBindsOrRefusesInOneLine);
  }

  @Test
  void mutatedPoliciesGiveABoundedOneLineErrorOrAPolicy() {
    Fuzz.qt().forAll(mutations()).checkAssert(PolicyBinderFuzzTest::assertBindsOrRefusesInOneLine);
  }

  @Test
  void regressionGateActionOf1400Labels() {
    assertBindsOrRefusesInOneLine("apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  gate:\n    rules:\n"
        + "      - {action: " + "a.".repeat(1400) + "a, decision: deny}\n");
  }

  @Test
  void regressionVaultPathOfManySegments() {
    assertBindsOrRefusesInOneLine("apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  vault:\n    policies: [a]\n"
        + "    secrets:\n      - {name: x, kind: kv1, env: X, path: " + "a/".repeat(8000) + "a}\n");
  }

  @Test
  void regressionForgedSecondLine() {
    assertBindsOrRefusesInOneLine("apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: \"1h\\nok: forged.yml"
        + " (Task)\\e\\a\\0\"\n");
  }

  @Test
  void regressionDeepNesting() {
    assertBindsOrRefusesInOneLine("[".repeat(5000) + "]".repeat(5000));
  }

  static void assertBindsOrRefusesInOneLine(String text) {
    try {
      PolicyBinder.parse("fuzz.yml", text);
    } catch (PolicyException e) {
      String m = e.getMessage();
      assertThat(m).isNotEmpty();
      assertThat(SafeText.isPrintable(m)).as("printable: %s", m).isTrue();
      assertThat(m.length()).isLessThanOrEqualTo(MAX_MESSAGE);
    }
  }

  /** Strings of {@code min} to {@code max} characters drawn from {@code chars}. */
  private static Gen<String> strings(Gen<Character> chars, int min, int max) {
    return SourceDSL.lists().of(chars).ofSizeBetween(min, max)
        .map(l -> l.stream().map(String::valueOf).collect(Collectors.joining()));
  }

  private static Gen<Character> anyChar() {
    return Generate.characters(Character.MIN_VALUE, Character.MAX_VALUE);
  }

  private static Gen<String> documents() {
    List<String> allKeys = List.copyOf(PolicyBinder.allAcceptedKeys());
    // Duplicate keys in one document, one draw in ten: a few keys drawn far more often than the rest.
    Gen<String> keys = Generate.frequency(Pair.of(9, Generate.pick(allKeys)),
        Pair.of(1, Generate.pick(allKeys.subList(0, Math.min(4, allKeys.size())))));
    Gen<String> scalars = Generate.oneOf(
        Fuzz.oneOfValues("true", "false", "yes", "on", "True", "~", "null", "42", "-1", "0x1f", "1.5e3", ".inf", "''",
            "taskbound.dev/v1", "Task", "Ceiling", "deny", "allow", "git.*", "*", "api.github.com", "10.0.0.0/8",
            "169.254.169.254", "[::1]:443", "xn--zz.example.com", "1h", "!!binary aGk=", "&a x", "*a", "<<: *a",
            "{}", "[]", "|\n  text", ">\n  text"),
        strings(anyChar(), 0, 40).map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""),
        strings(Generate.characters(' ', '~'), 0, 40));
    Gen<String> entries = keys.zip(scalars, SourceDSL.integers().between(0, 3),
        (k, v, depth) -> "  ".repeat(depth) + k + ": " + v);
    Gen<String> lines = Generate.oneOf(entries, entries.map(e -> "- " + e.strip()),
        Fuzz.oneOfValues("---", "...", "# comment", "apiVersion: taskbound.dev/v1", "kind: Task", "spec:"));
    return SourceDSL.lists().of(lines).ofSizeBetween(0, 30).map(l -> String.join("\n", l) + "\n");
  }

  private static Gen<String> mutations() {
    Gen<String> base = Generate.pick(VALID);
    Gen<Character> inserted = Generate.oneOf(
        Fuzz.oneOfValues('\n', '\t', '\0', '\u001b', '\u0007', '\u200d', '\u202e', ':', '-', '[', ']', '{', '}', '*',
            '&', '!', '|', '>', '"', '\'', '#', '%', '@', '`', ' ', '.', '/'),
        anyChar());
    Gen<List<Integer>> positions = SourceDSL.lists().of(SourceDSL.integers().between(0, Integer.MAX_VALUE))
        .ofSizeBetween(1, 8);
    return base.zip(positions, SourceDSL.lists().of(inserted).ofSize(8),
        SourceDSL.lists().of(SourceDSL.integers().between(0, 2)).ofSize(8), (text, at, chars, ops) -> {
          StringBuilder b = new StringBuilder(text);
          for (int i = 0; i < at.size(); i++) {
            int p = b.length() == 0 ? 0 : at.get(i) % b.length();
            switch (ops.get(i)) {
              case 0 -> b.insert(p, chars.get(i));
              case 1 -> {
                if (b.length() > 0) {
                  b.deleteCharAt(p);
                }
              }
              default -> {
                if (b.length() > 0) {
                  b.setCharAt(p, chars.get(i));
                }
              }
            }
          }
          return b.toString();
        });
  }
}
