package dev.taskbound.core.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 18: inputs a hostile user tried that crashed, were echoed raw, or were accepted but must be
 * refused. Each gets exactly one line, exit 120, in bounded time.
 */
class HostileInputTest {
  private static final String TASK = "apiVersion: taskbound.dev/v1\nkind: Task\n";
  private static final String EGRESS = TASK + "spec:\n  egress:\n";

  @TempDir Path dir;

  static Stream<Arguments> refused() {
    String labels = String.join(".", java.util.Collections.nCopies(1400, "a"));
    String segments = String.join("/", java.util.Collections.nCopies(250_000, "a"));
    return Stream.of(
        // --- item 1: no stack overflow, a one-line refusal ---
        Arguments.of("gate action of 1,400 labels", TASK + "spec:\n  gate:\n    rules:\n      - {action: " + labels
            + ", decision: deny}\n",
            "task.yml:6: spec.gate.rules[0].action: '" + labels.substring(0, 120) + "… (2799 chars)' is not an action;"
                + " accepted: " + GateRule.ACCEPTED_ACTIONS),
        Arguments.of("Vault path of 250k segments", TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n"
            + "      - {name: x, kind: kv1, env: X, path: \"" + escapedLines(segments) + "\"}\n",
            "task.yml:7: spec.vault.secrets[0].path: '" + segments.substring(0, 120) + "… (499999 chars)' is 499999"
                + " characters long; at most 1024; accepted: a Vault path of two or more segments such as"
                + " secret/app/config or database/creds/readonly"),
        Arguments.of("1 MiB line", "#" + "x".repeat((1 << 20) - 2) + "\n",
            "task.yml:1: line is 1048575 characters long; accepted: lines of at most 16384 characters"),
        // --- item 4: control characters escaped ---
        Arguments.of("newline, ESC, BEL and NUL in a value", TASK + "spec:\n  ttl: \"1h\\nok: forged.yml (Task)\\e[31m"
            + "\\a\\0\"\n",
            "task.yml:4: spec.ttl: '1h\\nok: forged.yml (Task)\\e[31m\\x07\\0' is not a duration; accepted: "
                + DurationFormat.ACCEPTED),
        Arguments.of("bidi override in a value", TASK + "spec:\n  ttl: \"1h\u202e\"\n",
            "task.yml:4: spec.ttl: '1h\\u202e' is not a duration; accepted: " + DurationFormat.ACCEPTED),
        // --- item 5: accepted before, refused now ---
        Arguments.of("metadata /32 with a port", EGRESS + "    allow: ['169.254.169.254/32:80']\n",
            "task.yml:5: spec.egress.allow[0]: CIDR block 169.254.169.254/32 contains the cloud metadata address"
                + " 169.254.169.254, which the gateway always refuses; accepted: blocks that leave out every metadata"
                + " address (see docs/egress.md#the-address-guard)"),
        Arguments.of("link-local block holding the metadata address", EGRESS + "    allow: ['169.254.0.0/16']\n",
            "task.yml:5: spec.egress.allow[0]: CIDR block 169.254.0.0/16 contains the cloud metadata address"
                + " 169.254.169.254, which the gateway always refuses; accepted: blocks that leave out every metadata"
                + " address (see docs/egress.md#the-address-guard)"),
        Arguments.of("IPv6 metadata block", EGRESS + "    allow: ['[fd00:ec2::/64]:80']\n",
            "task.yml:5: spec.egress.allow[0]: CIDR block [fd00:ec2::/64] contains the cloud metadata address"
                + " fd00:ec2::254, which the gateway always refuses; accepted: blocks that leave out every metadata"
                + " address (see docs/egress.md#the-address-guard)"),
        Arguments.of("NAT64 block carrying the metadata address", EGRESS + "    allow: ['[64:ff9b::/96]']\n",
            "task.yml:5: spec.egress.allow[0]: CIDR block [64:ff9b::/96] contains the cloud metadata address"
                + " 169.254.169.254, which the gateway always refuses; accepted: blocks that leave out every metadata"
                + " address (see docs/egress.md#the-address-guard)"),
        Arguments.of("local-use NAT64 block carrying the metadata address", EGRESS + "    allow: ['[64:ff9b:1::/48]']\n",
            "task.yml:5: spec.egress.allow[0]: CIDR block [64:ff9b:1::/48] contains the cloud metadata address"
                + " 169.254.169.254, which the gateway always refuses; accepted: blocks that leave out every metadata"
                + " address (see docs/egress.md#the-address-guard)"),
        Arguments.of("6to4 block carrying the metadata address", EGRESS + "    allow: ['[2002:a9fe:a9fe:1::/64]']\n",
            "task.yml:5: spec.egress.allow[0]: CIDR block [2002:a9fe:a9fe:1::/64] contains the cloud metadata address"
                + " 169.254.169.254, which the gateway always refuses; accepted: blocks that leave out every metadata"
                + " address (see docs/egress.md#the-address-guard)"),
        Arguments.of("IPv4-mapped metadata address", EGRESS + "    allow: ['[::ffff:169.254.169.254]:80']\n",
            "task.yml:5: spec.egress.allow[0]: 169.254.169.254 is a cloud metadata address, which the gateway always"
                + " refuses; accepted: any other address (see docs/egress.md#the-address-guard)"),
        Arguments.of("registry port 99999", TASK + "spec:\n  registries:\n    - {kind: npm, url:"
            + " 'https://registry.example.com:99999/'}\n",
            "task.yml:5: spec.registries[0].url: 'https://registry.example.com:99999/': port 99999 is out of range;"
                + " accepted: 1-65535 or no port"),
        Arguments.of("invalid punycode", EGRESS + "    allow: [xn--zz.example.com]\n",
            "task.yml:5: spec.egress.allow[0]: rule 'xn--zz.example.com': host 'xn--zz.example.com' has the label"
                + " 'xn--zz', which is not valid Punycode; accepted: an xn-- label that decodes to a Unicode name, or the"
                + " Unicode name itself"),
        Arguments.of("sharp s, which IDNA2003 reads as ss", EGRESS + "    allow: [\"fa\u00DF.example.com\"]\n",
            "task.yml:5: spec.egress.allow[0]: rule 'fa\u00df.example.com': host 'fa\u00df.example.com' contains U+00DF"
                + " ('\u00df'), which IDNA2003 and IDNA2008 encode as different domains; accepted: names without U+00DF (\u00df)"
                + " and U+03C2 (\u03c2)"),
        Arguments.of("the IDNA2008 A-label of a name with sharp s", EGRESS + "    allow: [xn--fa-hia.example.com]\n",
            "task.yml:5: spec.egress.allow[0]: rule 'xn--fa-hia.example.com': host 'xn--fa-hia.example.com' has the label"
                + " 'xn--fa-hia', which is not valid Punycode; accepted: an xn-- label that decodes to a Unicode name, or the"
                + " Unicode name itself"),
        Arguments.of("zero-width joiner inside a name", EGRESS + "    allow: [\"a\\u200Db.example.com\"]\n",
            "task.yml:5: spec.egress.allow[0]: rule 'a\\u200db.example.com': host 'a\\u200db.example.com' contains the"
                + " invisible or control character U+200D at position 2; accepted: visible characters only"),
        Arguments.of("boolean as an action", TASK + "spec:\n  gate:\n    rules:\n      - {action: true, decision: deny}\n",
            "task.yml:6: spec.gate.rules[0].action: expected a string, got the boolean true; accepted: a string (quote"
                + " it, as in 'true', to mean the text)"),
        Arguments.of("number as a name", TASK + "metadata:\n  name: 42\n",
            "task.yml:4: metadata.name: expected a string, got the number 42; accepted: a string (quote it, as in '42',"
                + " to mean the text)"),
        Arguments.of("float as a ttl", TASK + "spec:\n  ttl: 1.5\n",
            "task.yml:4: spec.ttl: expected a string, got the number 1.5; accepted: a string (quote it, as in '1.5', to"
                + " mean the text)"),
        Arguments.of("yes as a boolean", EGRESS + "    allowPrivate: yes\n",
            "task.yml:5: spec.egress.allowPrivate: expected true or false, got the string 'yes' (YAML 1.2 has no other"
                + " booleans; yes, no, on, off and capitalised forms are not booleans here)"),
        Arguments.of("on as a boolean", EGRESS + "    allowPrivate: on\n",
            "task.yml:5: spec.egress.allowPrivate: expected true or false, got the string 'on' (YAML 1.2 has no other"
                + " booleans; yes, no, on, off and capitalised forms are not booleans here)"),
        Arguments.of("True as a boolean", EGRESS + "    allowPrivate: True\n",
            "task.yml:5: spec.egress.allowPrivate: expected true or false, got the string 'True' (YAML 1.2 has no other"
                + " booleans; yes, no, on, off and capitalised forms are not booleans here)"),
        Arguments.of("explicitly tagged non-boolean", EGRESS + "    allowPrivate: !!bool yes\n",
            "task.yml:5: spec.egress.allowPrivate: expected true or false, got the boolean yes (YAML 1.2 has no other"
                + " booleans; yes, no, on, off and capitalised forms are not booleans here)"),
        Arguments.of("quoted number of uses", TASK + "spec:\n  vault:\n    policies: [a]\n    numUses: '5'\n",
            "task.yml:6: spec.vault.numUses: expected a whole number, got the string '5'; accepted: a whole number from"
                + " 1 to 999999999 (unquoted)"));
  }

  /** A double-quoted YAML value split into lines that a trailing backslash joins without a space. */
  private static String escapedLines(String text) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length(); i += 8000) {
      b.append(text, i, Math.min(text.length(), i + 8000)).append(i + 8000 < text.length() ? "\\\n        " : "");
    }
    return b.toString();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesWithOneEscapedLine(String name, String task, String expected) throws IOException {
    PolicyTables.assertRejected(dir, name, null, task, expected);
  }
}
