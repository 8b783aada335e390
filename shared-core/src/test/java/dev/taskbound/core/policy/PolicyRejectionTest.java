package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and widening policies, each rejected with one specific line: file:line, field, the
 * offending value and what is accepted (or both values and both locations).
 */
class PolicyRejectionTest {
  private static final String HEAD = "apiVersion: taskbound.dev/v1\n";
  private static final String TASK = HEAD + "kind: Task\n";
  private static final String CEILING = HEAD + "kind: Ceiling\n";

  @TempDir Path dir;

  static Stream<Arguments> rejected() {
    return Stream.of(
        // --- form ---
        Arguments.of("unknown top-level key", null, TASK + "spce: {}\n",
            "task.yml:3: spce: unknown key; accepted: apiVersion, kind, metadata, profile, profiles, spec, allowRepositoryCeiling"),
        Arguments.of("unknown nested key", null, TASK + "spec:\n  egress:\n    allw: [a.example.com]\n",
            "task.yml:5: spec.egress.allw: unknown key; accepted: allow, deny, hosts, presets, allowPrivate, inspect"),
        Arguments.of("unknown key in a gate rule", null,
            TASK + "spec:\n  gate:\n    rules:\n      - {action: git.push, decision: deny, why: x}\n",
            "task.yml:6: spec.gate.rules[0].why: unknown key; accepted: action, decision"),
        Arguments.of("wrong apiVersion", null, "apiVersion: taskbound.dev/v2\nkind: Task\n",
            "task.yml:1: apiVersion: 'taskbound.dev/v2' is not supported; accepted: taskbound.dev/v1"),
        Arguments.of("missing apiVersion", null, "kind: Task\n",
            "task.yml:1: apiVersion: missing; accepted: taskbound.dev/v1"),
        Arguments.of("unknown kind", null, HEAD + "kind: Policy\n",
            "task.yml:2: kind: 'Policy' is not a kind; accepted: Ceiling, Task"),
        Arguments.of("two Ceilings", CEILING + "---\n" + CEILING, TASK,
            "org.yml:4: kind: a second Ceiling (the first is at org.yml:1); accepted: at most one Ceiling across"
                + " all files"),
        Arguments.of("two Tasks across files", TASK, TASK,
            "task.yml:1: kind: a second Task (the first is at org.yml:1); accepted: at most one Task across all"
                + " files"),
        Arguments.of("profiles outside a Ceiling", null, TASK + "profiles: {}\n",
            "task.yml:3: profiles: only accepted in a Ceiling, not in kind: Task"),
        Arguments.of("trust domain outside the ceiling", CEILING + "spec:\n  identity:\n    trustDomain: acme.dev\n",
            TASK + "spec:\n  identity:\n    trustDomain: evil.dev\n",
            "task.yml:5: spec.identity.trustDomain: evil.dev is only accepted in the Ceiling's spec;"
                + " the trust domain is the organisation's, so a profile or Task cannot set it"),
        Arguments.of("duplicate key", null, TASK + "spec:\n  ttl: 10m\n  ttl: 8h\n",
            "task.yml:5: spec.ttl: duplicate key (first at line 4)"),
        Arguments.of("wrong type: mapping for a list", null,
            TASK + "spec:\n  egress:\n    allow: {api.github.com: yes}\n",
            "task.yml:5: spec.egress.allow: expected a list of strings, got a mapping"),
        Arguments.of("wrong type: list for a string", null, TASK + "spec:\n  ttl: [1h]\n",
            "task.yml:4: spec.ttl: expected a string, got a list"),
        Arguments.of("bad duration", null, TASK + "spec:\n  ttl: 3x\n",
            "task.yml:4: spec.ttl: '3x' is not a duration; accepted: " + DurationFormat.ACCEPTED),
        Arguments.of("bad enum value", null, TASK + "spec:\n  sandbox:\n    enforcement: lax\n",
            "task.yml:5: spec.sandbox.enforcement: 'lax' is not accepted; accepted: strict, cooperative"),
        Arguments.of("rule *", null, TASK + "spec:\n  egress:\n    allow: ['*']\n",
            "task.yml:5: spec.egress.allow[0]: rule '*': host pattern '*' matches every host; name the hosts,"
                + " such as *.example.com or **.example.com"),
        Arguments.of("rule *.com", null, TASK + "spec:\n  egress:\n    deny: [x.org, '*.com']\n",
            "task.yml:5: spec.egress.deny[1]: rule '*.com': host pattern '*.com' matches a whole top-level"
                + " domain; name at least a registrable domain such as *.example.com"),
        Arguments.of("bad port", null, TASK + "spec:\n  egress:\n    allow:\n      - api.github.com:99999\n",
            "task.yml:6: spec.egress.allow[0]: rule 'api.github.com:99999': port 99999 is out of range;"
                + " accepted: 1-65535"),
        Arguments.of("bad IP in hosts", null, TASK + "spec:\n  egress:\n    hosts:\n      api.demo.test: 999.1.1.1\n",
            "task.yml:6: spec.egress.hosts[api.demo.test]: '999.1.1.1' is not a valid IP literal; accepted: an IPv4"
                + " address such as 127.0.0.1 or an IPv6 address such as ::1"),
        Arguments.of("wildcard as a hosts name", null, TASK + "spec:\n  egress:\n    hosts: {'*.demo.test': '::1'}\n",
            "task.yml:5: spec.egress.hosts[*.demo.test]: '*.demo.test' is not a host name; accepted: an exact"
                + " name such as api.demo.test (no wildcard, no IP literal)"),
        Arguments.of("malformed repository", null, TASK + "spec:\n  github:\n    repositories: [acme]\n",
            "task.yml:5: spec.github.repositories[0]: 'acme' is not a repository; accepted: owner/name such as"
                + " acme/app, or owner/* for every repository of the owner"),
        Arguments.of("not YAML", null, TASK + "spec: [\n",
            "task.yml:4: not valid YAML: expected the node content, but found '<stream end>'"),
        Arguments.of("empty file", null, "# nothing\n",
            "task.yml:1: no YAML document; accepted: one or more documents with apiVersion: taskbound.dev/v1"),
        Arguments.of("document that is a list", null, "- apiVersion: taskbound.dev/v1\n",
            "task.yml:1: (document): expected a mapping, got a list"),
        Arguments.of("a document that is one string (a link to a credential file), not echoed", null,
            "https://ci:ghp_SENTINELsecret@github.com\n",
            "task.yml:1: (document): expected a mapping, got a string of 40 characters (not shown)"),
        Arguments.of("spec left empty", null, TASK + "spec:\n",
            "task.yml:3: spec: expected a mapping, got nothing (null)"),
        Arguments.of("repeated backend", null, TASK + "spec:\n  sandbox: {backends: [netns, netns]}\n",
            "task.yml:4: spec.sandbox.backends[1]: listed twice (first as spec.sandbox.backends[0])"),
        Arguments.of("repeated gate action", null,
            TASK + "spec:\n  gate:\n    rules:\n      - {action: git.push, decision: deny}\n"
                + "      - {action: git.push, decision: allow}\n",
            "task.yml:7: spec.gate.rules[1].action: git.push is named twice (first at task.yml:6); accepted: one"
                + " rule per action"),
        Arguments.of("gate rule without decision", null,
            TASK + "spec:\n  gate:\n    rules:\n      - {action: git.push}\n",
            "task.yml:6: spec.gate.rules[0].decision: missing; a rule needs action and decision"),
        Arguments.of("same pin twice in other spellings", null,
            TASK + "spec:\n  egress:\n    hosts:\n      api.demo.test: 127.0.0.1\n      API.demo.test.: 127.0.0.1\n",
            "task.yml:7: spec.egress.hosts[api.demo.test]: pins api.demo.test a second time (first at task.yml:6)"),
        Arguments.of("ceiling audience outside its own audiences", null,
            CEILING + "spec:\n  identity:\n    audiences: [a]\n    audience: b\n",
            "task.yml:6: spec.identity.audience: b widens the ceiling (task.yml:5 allows a)"),
        Arguments.of("strict leaving only an inherited proxy",
            CEILING + "spec:\n  sandbox: {backends: [proxy], enforcement: cooperative}\n",
            TASK + "spec:\n  sandbox: {enforcement: strict}\n",
            "task.yml:4: spec.sandbox.enforcement: strict leaves no sandbox backend, since the inherited backends"
                + " (org.yml:4) are only proxy; accepted: also set sandbox.backends to netns or container"),
        // --- widening ---
        Arguments.of("ttl widening", CEILING + "spec:\n  ttl: 1h\n", TASK + "spec:\n  ttl: 3h\n",
            "task.yml:4: spec.ttl: 3h widens the ceiling (org.yml:4 allows at most 1h)"),
        Arguments.of("ttl over the built-in maximum", null, TASK + "spec:\n  ttl: 9h\n",
            "task.yml:4: spec.ttl: 9h widens the ceiling (built-in default allows at most 8h)"),
        Arguments.of("pids above the ceiling's", CEILING + "spec:\n  sandbox: {limits: {pids: 256}}\n",
            TASK + "spec:\n  sandbox:\n    limits: {pids: 512}\n",
            "task.yml:5: spec.sandbox.limits.pids: 512 widens the ceiling (org.yml:4 allows at most 256)"),
        Arguments.of("pids above the built-in default under a Ceiling", CEILING, TASK + "spec:\n  sandbox:\n    limits: {pids: 5000}\n",
            "task.yml:5: spec.sandbox.limits.pids: 5000 widens the ceiling (built-in default under the Ceiling at"
                + " org.yml:1 allows at most 4096)"),
        Arguments.of("memory above the ceiling's", CEILING + "spec:\n  sandbox: {limits: {memory: 2Gi}}\n",
            TASK + "spec:\n  sandbox:\n    limits: {memory: 2049Mi}\n",
            "task.yml:5: spec.sandbox.limits.memory: 2049Mi widens the ceiling (org.yml:4 allows at most 2Gi)"),
        Arguments.of("pids below the floor", null, TASK + "spec:\n  sandbox:\n    limits: {pids: 10}\n",
            "task.yml:5: spec.sandbox.limits.pids: '10' is not accepted; accepted: a whole number from 64 to 4194304"
                + " (unquoted)"),
        Arguments.of("pids as a string", null, TASK + "spec:\n  sandbox:\n    limits: {pids: '100'}\n",
            "task.yml:5: spec.sandbox.limits.pids: expected a whole number, got the string '100'; accepted: a whole number"
                + " from 64 to 4194304 (unquoted)"),
        Arguments.of("memory without a binary unit", null, TASK + "spec:\n  sandbox:\n    limits: {memory: 512M}\n",
            "task.yml:5: spec.sandbox.limits.memory: '512M' is not accepted; accepted: " + SandboxLimits.MEMORY_ACCEPTED),
        Arguments.of("memory as a number", null, TASK + "spec:\n  sandbox:\n    limits: {memory: 1073741824}\n",
            "task.yml:5: spec.sandbox.limits.memory: expected a size, got the number 1073741824; accepted: "
                + SandboxLimits.MEMORY_ACCEPTED),
        Arguments.of("memory over 1Ti", null, TASK + "spec:\n  sandbox:\n    limits: {memory: 2Ti}\n",
            "task.yml:5: spec.sandbox.limits.memory: '2Ti' is not accepted; accepted: " + SandboxLimits.MEMORY_ACCEPTED),
        Arguments.of("a container runtime other than the ceiling's", CEILING + "spec:\n  sandbox: {container: {runtime: runsc}}\n",
            TASK + "spec:\n  sandbox:\n    container: {runtime: runc}\n",
            "task.yml:5: spec.sandbox.container.runtime: runc widens the ceiling (org.yml:4 allows only runsc)"),
        Arguments.of("a container runtime under a Ceiling that names none", CEILING,
            TASK + "spec:\n  sandbox:\n    container: {runtime: runsc}\n",
            "task.yml:5: spec.sandbox.container.runtime: runsc widens the ceiling (org.yml:1 names no runtime (the"
                + " daemon's default); accepted: leave sandbox.container.runtime unset, or name it in the Ceiling)"),
        Arguments.of("a container runtime that could be an option", null,
            TASK + "spec:\n  sandbox:\n    container: {runtime: --privileged}\n",
            "task.yml:5: spec.sandbox.container.runtime: '--privileged' is not accepted; accepted: a runtime name the"
                + " Docker daemon registers (1-128 of A-Z, a-z, 0-9, '.', '_', '-') such as runsc"),
        Arguments.of("unknown container key", null, TASK + "spec:\n  sandbox:\n    container: {image: x}\n",
            "task.yml:5: spec.sandbox.container.image: unknown key; accepted: runtime"),
        Arguments.of("unknown limit", null, TASK + "spec:\n  sandbox:\n    limits: {cpu: 2}\n",
            "task.yml:5: spec.sandbox.limits.cpu: unknown key; accepted: pids, memory"),
        Arguments.of("ttl over a default the Ceiling did not set", CEILING, TASK + "spec:\n  ttl: 2h\n",
            "task.yml:4: spec.ttl: 2h widens the ceiling (built-in default under the Ceiling at org.yml:1 allows at"
                + " most 1h)"),
        Arguments.of("audience not among the ceiling's",
            CEILING + "spec:\n  identity:\n    audiences: [taskbound, vault]\n",
            TASK + "spec:\n  identity:\n    audience: other\n",
            "task.yml:5: spec.identity.audience: other widens the ceiling (org.yml:5 allows taskbound, vault)"),
        Arguments.of("backend not in the ceiling's list", CEILING + "spec:\n  sandbox:\n    backends: [netns]\n",
            TASK + "spec:\n  sandbox:\n    backends: [container]\n",
            "task.yml:5: spec.sandbox.backends[0]: container widens the ceiling (org.yml:5 allows netns)"),
        Arguments.of("cooperative under strict", CEILING + "spec:\n  sandbox:\n    enforcement: strict\n",
            TASK + "spec:\n  sandbox:\n    enforcement: cooperative\n",
            "task.yml:5: spec.sandbox.enforcement: cooperative widens the ceiling (org.yml:5 allows only strict)"),
        Arguments.of("proxy backend with strict", null, TASK + "spec:\n  sandbox:\n    backends: [netns, proxy]\n",
            "task.yml:5: spec.sandbox.backends[1]: proxy requires enforcement: cooperative, but enforcement is"
                + " strict (built-in default); accepted with strict: netns, container"),
        Arguments.of("allow rule not covered by the ceiling",
            CEILING + "spec:\n  egress:\n    allow: [api.github.com, '*.npmjs.org']\n",
            TASK + "spec:\n  egress:\n    allow:\n      - registry.npmjs.org\n      - npmjs.org\n",
            "task.yml:7: spec.egress.allow[1]: npmjs.org:443 widens the ceiling (no rule of org.yml:5 covers it;"
                + " allowed: api.github.com:443, *.npmjs.org:443)"),
        Arguments.of("allow rule on another port", CEILING + "spec:\n  egress:\n    allow: [api.github.com]\n",
            TASK + "spec:\n  egress:\n    allow: ['api.github.com:22']\n",
            "task.yml:5: spec.egress.allow[0]: api.github.com:22 widens the ceiling (no rule of org.yml:5 covers"
                + " it; allowed: api.github.com:443)"),
        Arguments.of("new hosts pin under an org ceiling", CEILING,
            TASK + "spec:\n  egress:\n    hosts: {api.demo.test: 127.0.0.1}\n",
            "task.yml:5: spec.egress.hosts[api.demo.test]: 127.0.0.1 widens the ceiling (built-in default under"
                + " the Ceiling at org.yml:1 pins no address for api.demo.test; accepted: only pins the ceiling"
                + " sets identically)"),
        Arguments.of("hosts pin to another address",
            CEILING + "spec:\n  egress:\n    hosts: {api.demo.test: 127.0.0.2}\n",
            TASK + "spec:\n  egress:\n    hosts: {API.demo.test.: 127.0.0.3}\n",
            "task.yml:5: spec.egress.hosts[api.demo.test]: 127.0.0.3 widens the ceiling (org.yml:5 pins"
                + " api.demo.test to 127.0.0.2)"),
        Arguments.of("github repository not in the ceiling",
            CEILING + "spec:\n  github:\n    repositories: [acme/app, tools/*]\n",
            TASK + "spec:\n  github:\n    repositories: [tools/x, acme/other]\n",
            "task.yml:5: spec.github.repositories[1]: acme/other widens the ceiling (org.yml:5 allows acme/app,"
                + " tools/*)"),
        Arguments.of("permission widening read to write",
            CEILING + "spec:\n  github:\n    permissions:\n      contents: read\n",
            TASK + "spec:\n  github:\n    permissions:\n      contents: write\n",
            "task.yml:6: spec.github.permissions.contents: write widens the ceiling (org.yml:6 allows at most"
                + " read)"),
        Arguments.of("permission the ceiling does not grant",
            CEILING + "spec:\n  github:\n    permissions: {contents: read}\n",
            TASK + "spec:\n  github:\n    permissions: {contents: read, issues: read}\n",
            "task.yml:5: spec.github.permissions.issues: read widens the ceiling (org.yml:5 grants no issues"
                + " permission; grantable: contents)"),
        Arguments.of("gate decision loosened",
            CEILING + "spec:\n  gate:\n    rules:\n      - {action: 'git.*', decision: approve}\n",
            TASK + "spec:\n  gate:\n    rules:\n      - {action: git.push, decision: allow}\n",
            "task.yml:6: spec.gate.rules[0].decision: allow loosens git.push (org.yml:6 requires at least approve"
                + " for git.*)"),
        Arguments.of("gate rule for an action the ceiling does not name",
            CEILING + "spec:\n  gate:\n    rules:\n      - {action: git.push, decision: approve}\n",
            TASK + "spec:\n  gate:\n    rules:\n      - {action: secret.read, decision: approve}\n",
            "task.yml:6: spec.gate.rules[0].decision: approve for secret.read, which the ceiling (org.yml:5) does"
                + " not name; accepted for a new action: deny"),
        Arguments.of("undefined profile",
            CEILING + "profiles:\n  coding-agent: {ttl: 1h}\n  ops-agent: {ttl: 5m}\n",
            TASK + "profile: release\n",
            "task.yml:3: profile: release is not defined by the Ceiling (org.yml:1); defined: coding-agent,"
                + " ops-agent; shipped: coding-agent, review-agent, ops-agent"),
        Arguments.of("profile without a ceiling", null, TASK + "profile: release\n",
            "task.yml:3: profile: release is not defined: no Ceiling was given, and the built-in default"
                + " ceiling defines no profiles; shipped: coding-agent, review-agent, ops-agent"),
        Arguments.of("profile widening its ceiling, even when not selected",
            CEILING + "spec:\n  ttl: 1h\nprofiles:\n  slow: {ttl: 2h}\n", TASK,
            "org.yml:6: profiles.slow.ttl: 2h widens the ceiling (org.yml:4 allows at most 1h)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void rejectsWithSpecificMessage(String name, String org, String task, String expected) throws IOException {
    PolicyTables.assertRejected(dir, name, org, task, expected);
  }
}
