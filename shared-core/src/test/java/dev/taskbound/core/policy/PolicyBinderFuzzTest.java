package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.SafeText;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Issue 18: the policy binder under random input. Whatever the text, binding either succeeds or
 * throws a {@link PolicyException} (nothing else: no StackOverflowError, no YAMLException, no
 * NumberFormatException) whose message is one line of printable characters of bounded length.
 * Random YAML-ish documents built from the binder's own keys, and random byte-level mutations of
 * valid policies. Past crashes are kept as {@link Example}s.
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

  @Property
  void randomDocumentsGiveABoundedOneLineErrorOrAPolicy(@ForAll("documents") String text) {
    assertBindsOrRefusesInOneLine(text);
  }

  @Property
  void mutatedPoliciesGiveABoundedOneLineErrorOrAPolicy(@ForAll("mutations") String text) {
    assertBindsOrRefusesInOneLine(text);
  }

  @Example
  void regressionGateActionOf1400Labels() {
    assertBindsOrRefusesInOneLine("apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  gate:\n    rules:\n"
        + "      - {action: " + "a.".repeat(1400) + "a, decision: deny}\n");
  }

  @Example
  void regressionVaultPathOfManySegments() {
    assertBindsOrRefusesInOneLine("apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  vault:\n    policies: [a]\n"
        + "    secrets:\n      - {name: x, kind: kv1, env: X, path: " + "a/".repeat(8000) + "a}\n");
  }

  @Example
  void regressionForgedSecondLine() {
    assertBindsOrRefusesInOneLine("apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: \"1h\\nok: forged.yml"
        + " (Task)\\e\\a\\0\"\n");
  }

  @Example
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

  @Provide
  Arbitrary<String> documents() {
    Arbitrary<String> keys = Arbitraries.of(PolicyBinder.allAcceptedKeys().toArray(new String[0]))
        .injectDuplicates(0.1);
    Arbitrary<String> scalars = Arbitraries.oneOf(
        Arbitraries.of("true", "false", "yes", "on", "True", "~", "null", "42", "-1", "0x1f", "1.5e3", ".inf", "''",
            "taskbound.dev/v1", "Task", "Ceiling", "deny", "allow", "git.*", "*", "api.github.com", "10.0.0.0/8",
            "169.254.169.254", "[::1]:443", "xn--zz.example.com", "1h", "!!binary aGk=", "&a x", "*a", "<<: *a",
            "{}", "[]", "|\n  text", ">\n  text"),
        Arbitraries.strings().all().ofMaxLength(40).map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"")
            + "\""),
        Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(40));
    Arbitrary<String> entries = Combinators.combine(keys, scalars, Arbitraries.integers().between(0, 3))
        .as((k, v, depth) -> "  ".repeat(depth) + k + ": " + v);
    Arbitrary<String> lines = Arbitraries.oneOf(entries, entries.map(e -> "- " + e.strip()),
        Arbitraries.of("---", "...", "# comment", "apiVersion: taskbound.dev/v1", "kind: Task", "spec:"));
    return lines.list().ofMaxSize(30).map(l -> String.join("\n", l) + "\n");
  }

  @Provide
  Arbitrary<String> mutations() {
    Arbitrary<String> base = Arbitraries.of(VALID);
    Arbitrary<Character> inserted = Arbitraries.oneOf(
        Arbitraries.of('\n', '\t', '\0', '\u001b', '\u0007', '\u200d', '\u202e', ':', '-', '[', ']', '{', '}', '*',
            '&', '!', '|', '>', '"', '\'', '#', '%', '@', '`', ' ', '.', '/'),
        Arbitraries.chars().all());
    Arbitrary<List<Integer>> positions = Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMinSize(1)
        .ofMaxSize(8);
    return Combinators.combine(base, positions, inserted.list().ofSize(8), Arbitraries.integers().between(0, 2).list()
            .ofSize(8))
        .as((text, at, chars, ops) -> {
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
