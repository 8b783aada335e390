package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code spec.vault}: its form, and narrowing of policies, secrets, TTL and uses. */
class VaultPolicyTest {
  private static final String HEAD = "apiVersion: taskbound.dev/v1\n";
  private static final String TASK = HEAD + "kind: Task\n";
  private static final String CEILING = HEAD + "kind: Ceiling\n";
  private static final String ORG_VAULT = CEILING + "spec:\n  ttl: 1h\n  vault:\n    policies: [app-read, db]\n"
      + "    ttl: 30m\n    numUses: 10\n    secrets:\n"
      + "      - {name: api-key, kind: kv2, path: secret/app/config, field: api_key, env: API_KEY}\n"
      + "      - {name: db, kind: dynamic, path: database/creds/ro, access: on-request}\n";

  private static final String ORG_WRAPPED = CEILING + "spec:\n  ttl: 1h\n  vault:\n    policies: [app-read]\n    secrets:\n"
      + "      - {name: tok, kind: kv2, path: secret/app/tok, field: token, env: TOK, wrap: 5m}\n";

  @TempDir Path dir;

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of("unknown key", null, TASK + "spec:\n  vault:\n    policy: [a]\n",
            "task.yml:5: spec.vault.policy: unknown key; accepted: policies, ttl, numUses, secrets"),
        Arguments.of("empty policies", null, TASK + "spec:\n  vault:\n    policies: []\n",
            "task.yml:5: spec.vault.policies: empty; accepted: a non-empty list of Vault policy names"),
        Arguments.of("bad policy name", null, TASK + "spec:\n  vault:\n    policies: ['a b']\n",
            "task.yml:5: spec.vault.policies[0]: 'a b' is not accepted; accepted: a Vault policy name of 1-128 of"
                + " A-Z, a-z, 0-9, '.', '_', '-'"),
        Arguments.of("numUses zero", null, TASK + "spec:\n  vault:\n    policies: [a]\n    numUses: 0\n",
            "task.yml:6: spec.vault.numUses: '0' is not accepted; accepted: a whole number from 1 to 999999999"),
        Arguments.of("secret without path", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n      - {name: x, kind: kv1, env: X}\n",
            "task.yml:7: spec.vault.secrets[0].path: missing; a secret needs name, kind and path"),
        Arguments.of("bad kind", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n      - {name: x, kind: kv3, path: a/b, env: X}\n",
            "task.yml:7: spec.vault.secrets[0].kind: 'kv3' is not accepted; accepted: kv1, kv2, dynamic"),
        Arguments.of("path with ..", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n      - {name: x, kind: kv1, path: a/../b, env: X}\n",
            "task.yml:7: spec.vault.secrets[0].path: 'a/../b' contains '..'; accepted: a path without '..'"),
        Arguments.of("file with a directory", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n      - {name: x, kind: kv1, path: a/b, file: ../x}\n",
            "task.yml:7: spec.vault.secrets[0].file: '../x' is not accepted; accepted: a plain file name such as"
                + " db.json (no directory)"),
        Arguments.of("env and file", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n      - {name: x, kind: kv1, path: a/b, env: X, file: x}\n",
            "task.yml:7: spec.vault.secrets[0].file: given together with env; accepted: exactly one of env and"
                + " file, or neither with access: on-request"),
        Arguments.of("neither env nor file", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n      - {name: x, kind: kv1, path: a/b}\n",
            "task.yml:7: spec.vault.secrets[0]: says neither env nor file; accepted: env: NAME, file: NAME, or"
                + " access: on-request"),
        Arguments.of("on-request with env", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n"
                + "      - {name: x, kind: kv1, path: a/b, env: X, access: on-request}\n",
            "task.yml:7: spec.vault.secrets[0].access: on-request is never put into the environment or a file;"
                + " accepted: remove env and file"),
        Arguments.of("bad access", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n"
                + "      - {name: x, kind: kv1, path: a/b, access: always}\n",
            "task.yml:7: spec.vault.secrets[0].access: 'always' is not accepted; accepted: env, file, on-request"),
        Arguments.of("duplicate secret name", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n"
                + "      - {name: x, kind: kv1, path: a/b, env: X}\n      - {name: x, kind: kv1, path: a/c, env: Y}\n",
            "task.yml:8: spec.vault.secrets[1].name: x is named twice (first at task.yml:7); accepted: unique"
                + " secret names"),
        Arguments.of("two secrets in one variable", null,
            TASK + "spec:\n  vault:\n    policies: [a]\n    secrets:\n"
                + "      - {name: x, kind: kv1, path: a/b, env: X}\n      - {name: y, kind: kv1, path: a/c, env: X}\n",
            "task.yml:8: spec.vault.secrets[1]: env X is also used by x (task.yml:7); accepted: one secret per"
                + " variable or file"),
        Arguments.of("secrets without policies", null,
            TASK + "spec:\n  vault:\n    secrets:\n      - {name: x, kind: kv1, path: a/b, env: X}\n",
            "task.yml:5: spec.vault.secrets: secrets need a Vault token to read them, but no vault.policies is set;"
                + " accepted: also set spec.vault.policies"),
        Arguments.of("vault ttl longer than the session", null,
            TASK + "spec:\n  ttl: 10m\n  vault:\n    policies: [a]\n    ttl: 20m\n",
            "task.yml:7: spec.vault.ttl: 20m is longer than the session's ttl (10m, task.yml:4); accepted: at"
                + " most 10m"),
        // --- narrowing ---
        Arguments.of("policy the ceiling lacks", ORG_VAULT,
            TASK + "spec:\n  vault:\n    policies: [app-read, admin]\n",
            "task.yml:5: spec.vault.policies[1]: admin widens the ceiling (org.yml:6 grants app-read, db)"),
        Arguments.of("vault under a ceiling without vault", CEILING + "spec:\n  ttl: 1h\n",
            TASK + "spec:\n  vault:\n    policies: [app-read]\n",
            "task.yml:5: spec.vault.policies[0]: app-read widens the ceiling (built-in default under the Ceiling"
                + " at org.yml:1 grants no Vault policy)"),
        Arguments.of("longer vault ttl", ORG_VAULT, TASK + "spec:\n  vault:\n    ttl: 45m\n",
            "task.yml:5: spec.vault.ttl: 45m widens the ceiling (org.yml:7 allows at most 30m)"),
        Arguments.of("more uses", ORG_VAULT, TASK + "spec:\n  vault:\n    numUses: 11\n",
            "task.yml:5: spec.vault.numUses: 11 widens the ceiling (org.yml:8 allows at most 10)"),
        Arguments.of("secret at another path", ORG_VAULT,
            TASK + "spec:\n  vault:\n    secrets:\n      - {name: api-key, kind: kv2, path: secret/admin/config, env: K}\n",
            "task.yml:6: spec.vault.secrets[0]: api-key (kv2 secret/admin/config) widens the ceiling (org.yml:9"
                + " grants api-key (kv2 secret/app/config), db (dynamic database/creds/ro))"),
        Arguments.of("a secret's field dropped: the whole data object", ORG_VAULT,
            TASK + "spec:\n  vault:\n    secrets:\n      - {name: api-key, kind: kv2, path: secret/app/config, env: K}\n",
            "task.yml:6: spec.vault.secrets[0].field: none (the whole data object) widens the ceiling (org.yml:10"
                + " exposes only field 'api_key' of api-key)"),
        Arguments.of("a secret's other field", ORG_VAULT,
            TASK + "spec:\n  vault:\n    secrets:\n      - {name: api-key, kind: kv2, path: secret/app/config, field: password,"
                + " env: K}\n",
            "task.yml:6: spec.vault.secrets[0].field: 'password' widens the ceiling (org.yml:10 exposes only field"
                + " 'api_key' of api-key)"),
        Arguments.of("a wrapped secret unwrapped", ORG_WRAPPED,
            TASK + "spec:\n  vault:\n    secrets:\n      - {name: tok, kind: kv2, path: secret/app/tok, field: token, env: T}\n",
            "task.yml:6: spec.vault.secrets[0].wrap: none (the value itself) widens the ceiling (org.yml:8 serves tok"
                + " only wrapped, for at most 5m)"),
        Arguments.of("a wrapped secret wrapped for longer", ORG_WRAPPED,
            TASK + "spec:\n  vault:\n    secrets:\n      - {name: tok, kind: kv2, path: secret/app/tok, field: token, env: T,"
                + " wrap: 10m}\n",
            "task.yml:6: spec.vault.secrets[0].wrap: 10m widens the ceiling (org.yml:8 serves tok only wrapped, for at"
                + " most 5m)"),
        Arguments.of("on-request secret exposed", ORG_VAULT,
            TASK + "spec:\n  vault:\n    secrets:\n      - {name: db, kind: dynamic, path: database/creds/ro, env: DB}\n",
            "task.yml:6: spec.vault.secrets[0].access: env widens the ceiling (org.yml:11 serves db only"
                + " on-request)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void rejectsWithSpecificMessage(String name, String org, String task, String expected) throws IOException {
    PolicyTables.assertRejected(dir, name, org, task, expected);
  }

  @Test
  void taskNarrowsTheCeilingsVaultGrant() throws IOException {
    String task = TASK + "spec:\n  ttl: 20m\n  vault:\n    policies: [app-read]\n    numUses: 3\n    secrets:\n"
        + "      - {name: api-key, kind: kv2, path: secret/app/config, field: api_key, file: api-key.txt}\n";

    EffectivePolicy p = PolicyResolver.resolve(files(ORG_VAULT, task), Optional.empty());

    VaultPolicy v = p.vault().orElseThrow();
    assertThat(v.policies()).containsExactly("app-read");
    assertThat(v.numUses()).isEqualTo(OptionalLong.of(3));
    assertThat(v.tokenTtl(p.ttl())).isEqualTo(Duration.ofMinutes(20));
    assertThat(v.secrets()).singleElement().satisfies(s -> {
      assertThat(s.access()).isEqualTo(VaultSecretPolicy.Access.FILE);
      assertThat(s.file()).contains("api-key.txt");
    });
    assertThat(p.provenanceOf("vault.numUses")).contains(new Provenance(dir.resolve("task.yml").toString(), 7));
  }

  @Test
  void aTaskMayPickAFieldOfAWholeSecretAndWrapItShorter() throws IOException {
    String org = CEILING + "spec:\n  ttl: 1h\n  vault:\n    policies: [app-read]\n    secrets:\n"
        + "      - {name: cfg, kind: kv2, path: secret/app/config, env: CFG}\n"
        + "      - {name: tok, kind: kv2, path: secret/app/tok, field: token, env: TOK, wrap: 5m}\n";
    String task = TASK + "spec:\n  vault:\n    secrets:\n"
        + "      - {name: cfg, kind: kv2, path: secret/app/config, field: url, env: CFG, wrap: 1m}\n"
        + "      - {name: tok, kind: kv2, path: secret/app/tok, field: token, env: TOK, wrap: 2m}\n";

    VaultPolicy v = PolicyResolver.resolve(files(org, task), Optional.empty()).vault().orElseThrow();

    assertThat(v.secrets()).extracting(VaultSecretPolicy::field).containsExactly(Optional.of("url"), Optional.of("token"));
    assertThat(v.secrets()).extracting(VaultSecretPolicy::wrap)
        .containsExactly(Optional.of(Duration.ofMinutes(1)), Optional.of(Duration.ofMinutes(2)));
  }

  @Test
  void noVaultLeavesTheDigestOfOtherPoliciesUnchanged() throws IOException {
    EffectivePolicy without = PolicyResolver.resolve(files(null, TASK + "spec:\n  ttl: 10m\n"), Optional.empty());
    EffectivePolicy with = PolicyResolver.resolve(
        files(null, TASK + "spec:\n  ttl: 10m\n  vault:\n    policies: [a]\n"), Optional.empty());

    assertThat(without.vault()).isEmpty();
    assertThat(without.toCanonicalJson()).doesNotContain("vault");
    assertThat(with.toCanonicalJson()).contains("\"vault\":{\"policies\":[\"a\"],\"secrets\":[]}");
  }

  private List<Path> files(String org, String task) throws IOException {
    List<Path> files = new ArrayList<>();
    if (org != null) {
      files.add(Files.writeString(dir.resolve("org.yml"), org));
    }
    files.add(Files.writeString(dir.resolve("task.yml"), task));
    return files;
  }
}
