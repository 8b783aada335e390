package dev.taskbound.core.gate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.GateDecision;
import dev.taskbound.core.policy.PolicyResolver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10: the effective gate rules decide an action: the strictest match, else the default. */
class GateRulesTest {
  @TempDir Path dir;

  private GateRules rules(String... lines) throws IOException {
    Path task = Files.writeString(dir.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  gate:",
        "    rules:") + "\n" + String.join("\n", lines) + "\n");
    EffectivePolicy policy = PolicyResolver.resolve(List.of(task), Optional.empty());
    return GateRules.of(policy);
  }

  @Test
  void theStrictestMatchingRuleDecidesAndIsNamedWithWhereItWasWritten() throws IOException {
    GateRules gate = rules(
        "      - {action: \"*\", decision: approve}",
        "      - {action: secret.read, decision: deny}",
        "      - {action: github.token.refresh, decision: allow}");

    GateRules.Verdict secret = gate.decide("secret.read");
    GateRules.Verdict refresh = gate.decide("github.token.refresh");

    assertThat(secret.decision()).isEqualTo(GateDecision.DENY);
    assertThat(secret.ruleName()).isEqualTo("secret.read: deny");
    assertThat(secret.describe()).isEqualTo("gate rule 'secret.read: deny' (" + dir.resolve("task.yml") + ":7)");
    assertThat(refresh.decision()).isEqualTo(GateDecision.APPROVE);
    assertThat(refresh.ruleName()).isEqualTo("*: approve");
  }

  @Test
  void anActionNoRuleMatchesGetsTheDefaultAllowNamedAsSuch() throws IOException {
    GateRules gate = rules("      - {action: \"git.*\", decision: deny}");

    GateRules.Verdict verdict = gate.decide("secret.read");

    assertThat(verdict.decision()).isEqualTo(GateRules.DEFAULT).isEqualTo(GateDecision.ALLOW);
    assertThat(verdict.rule()).isEmpty();
    assertThat(verdict.ruleName()).isEqualTo("default");
    assertThat(verdict.describe()).isEqualTo("the gate's default (no gate rule matches secret.read)");
    assertThat(GateRules.none().decide("github.token.refresh").ruleName()).isEqualTo("default");
  }

  @Test
  void aWildcardRuleCoversTheActionsBelowIt() throws IOException {
    GateRules gate = rules("      - {action: \"github.*\", decision: deny}");

    assertThat(gate.decide("github.token.refresh").decision()).isEqualTo(GateDecision.DENY);
    assertThat(gate.decide("secret.read").decision()).isEqualTo(GateDecision.ALLOW);
  }

  /** Review finding (issue 10): a rule for one secret was accepted and then never matched. */
  @Test
  void aRuleForOneNamedSecretDecidesThatSecretAndNoOther() throws IOException {
    GateRules gate = rules(
        "      - {action: secret.read.db, decision: deny}",
        "      - {action: \"secret.read.*\", decision: approve}");

    GateRules.Verdict db = gate.decide("secret.read", "db");
    GateRules.Verdict signing = gate.decide("secret.read", "signing");
    GateRules.Verdict unnamed = gate.decide("secret.read", "");
    GateRules.Verdict notALabel = gate.decide("secret.read", "1db");

    assertThat(db.decision()).isEqualTo(GateDecision.DENY);
    assertThat(db.ruleName()).isEqualTo("secret.read.db: deny");
    assertThat(signing.decision()).isEqualTo(GateDecision.APPROVE);
    assertThat(unnamed.decision()).isEqualTo(GateDecision.ALLOW);
    // a name no rule can spell (a label starts with a letter) is still one of every secret: secret.read.* covers it
    assertThat(notALabel.decision()).isEqualTo(GateDecision.APPROVE);
    assertThat(notALabel.ruleName()).isEqualTo("secret.read.*: approve");
  }

  /** Review finding: with "secret.read.*: deny", NPM_TOKEN, db.prod and 1password were served. */
  @Test
  void aWildcardOverEverySecretCoversNamesNoRuleCanSpell() throws IOException {
    GateRules gate = rules("      - {action: \"secret.read.*\", decision: deny}");

    for (String name : List.of("NPM_TOKEN", "db.prod", "1password", "npm-token")) {
      assertThat(gate.decide("secret.read", name).decision()).as(name).isEqualTo(GateDecision.DENY);
    }
    assertThat(gate.decide("secret.read", "").decision()).isEqualTo(GateDecision.ALLOW);
  }

  /** Review finding: "secret.read.db.prod: deny" and "secret.read.npm_token: deny" were accepted and never matched. */
  @Test
  void aRuleNamesASecretWithDotsOrUpperCaseInLowerCase() throws IOException {
    GateRules gate = rules(
        "      - {action: secret.read.db.prod, decision: deny}",
        "      - {action: secret.read.npm_token, decision: approve}");

    assertThat(gate.decide("secret.read", "db.prod").ruleName()).isEqualTo("secret.read.db.prod: deny");
    assertThat(gate.decide("secret.read", "NPM_TOKEN").ruleName()).isEqualTo("secret.read.npm_token: approve");
    assertThat(gate.decide("secret.read", "npm_token").decision()).isEqualTo(GateDecision.APPROVE);
    assertThat(gate.decide("secret.read", "db").decision()).isEqualTo(GateDecision.ALLOW);
    assertThat(gate.decide("secret.read", "db.prod2").decision()).isEqualTo(GateDecision.ALLOW);
  }

  /** Review finding: a name no rule can spell (a label starting with a digit) missed the wildcard over it. */
  @Test
  void aWildcardOverPartOfTheNamesCoversNamesNoRuleCanSpell() throws IOException {
    GateRules gate = rules("      - {action: \"secret.read.db.*\", decision: deny}");

    for (String name : List.of("db.2024", "DB._x", "db.prod")) {
      assertThat(gate.decide("secret.read", name).ruleName()).as(name).isEqualTo("secret.read.db.*: deny");
    }
    assertThat(gate.decide("secret.read", "db").decision()).isEqualTo(GateDecision.ALLOW);
    assertThat(gate.decide("secret.read", "dbx.1").decision()).isEqualTo(GateDecision.ALLOW);
  }
}
