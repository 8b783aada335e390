package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.PolicyException;
import dev.taskbound.core.policy.PolicyResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The presets data file, its table in docs/egress.md, and {@code egress.presets} in a policy. */
class EgressPresetsTest {
  @TempDir Path dir;

  /** The Markdown table docs/egress.md must contain, generated from presets.yml. */
  static String table(EgressPresets presets) {
    StringBuilder sb = new StringBuilder("| preset | what it is for | rules |\n|---|---|---|\n");
    for (EgressPresets.Preset p : presets.all()) {
      sb.append("| `").append(p.name()).append("` | ").append(p.description()).append(" | ")
          .append(p.rules().stream().map(r -> "`" + r + "`").collect(Collectors.joining(", "))).append(" |\n");
    }
    return sb.toString();
  }

  @Test
  void docsListEveryPresetExactlyAsTheDataFileDefinesIt() throws Exception {
    EgressPresets presets = EgressPresets.builtIn();
    String docs = Files.readString(Path.of(System.getProperty("taskbound.repo.root"), "docs", "egress.md"));

    String expected = table(presets);

    assertThat(docs).as("regenerate the table in docs/egress.md#presets from presets.yml:\n" + expected).contains(expected);
  }

  @Test
  void shipsTheRegistriesAndApisAgentsNeed() {
    EgressPresets presets = EgressPresets.builtIn();

    List<String> names = presets.names();

    assertThat(names).contains("npm", "pypi", "maven-central", "crates", "go-proxy", "github", "anthropic", "openai");
    assertThat(presets.get("github").orElseThrow().rules()).extracting(EgressRule::toString)
        .contains("api.github.com:443", "codeload.github.com:443", "objects.githubusercontent.com:443");
  }

  private EffectivePolicy resolve(String... files) throws Exception {
    List<Path> paths = new java.util.ArrayList<>();
    for (int i = 0; i < files.length; i++) {
      paths.add(Files.writeString(dir.resolve(i == 0 && files.length > 1 ? "org.yml" : "task.yml"), files[i]));
    }
    return PolicyResolver.resolve(paths, Optional.empty());
  }

  @Test
  void expandsPresetsIntoAllowRulesWithTheirProvenance() throws Exception {
    EffectivePolicy p = resolve("apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  egress:\n    allow: [x.example.com]\n"
        + "    presets: [anthropic, npm]\n");

    List<String> allow = p.allow().stream().map(EgressRule::toString).collect(Collectors.toList());

    assertThat(allow).containsExactly("x.example.com:443", "api.anthropic.com:443", "registry.npmjs.org:443",
        "registry.yarnpkg.com:443");
    assertThat(p.provenance().get("egress.allow[1]").toString()).isEqualTo("preset anthropic (" + dir.resolve("task.yml") + ":6)");
    assertThat(p.ruleSet().decide("registry.npmjs.org", 443).allowed()).isTrue();
  }

  @Test
  void narrowingChecksPresetRulesLikeWrittenRules() {
    String org = "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n  egress:\n    allow: [registry.npmjs.org]\n";
    String task = "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  egress:\n    presets: [npm]\n";

    assertThatThrownBy(() -> resolve(org, task)).isInstanceOf(PolicyException.class)
        .hasMessage("preset npm (" + dir.resolve("task.yml") + ":5): spec.egress.presets[0]: registry.yarnpkg.com:443"
            + " widens the ceiling (no rule of " + dir.resolve("org.yml") + ":5 covers it; allowed:"
            + " registry.npmjs.org:443)");
  }

  @Test
  void refusesAnUnknownPresetListingTheKnownOnes() {
    String task = "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  egress:\n    presets: [npmm]\n";

    assertThatThrownBy(() -> resolve(task)).isInstanceOf(PolicyException.class)
        .hasMessage(dir.resolve("task.yml") + ":5: spec.egress.presets[0]: unknown preset 'npmm'; known: "
            + String.join(", ", EgressPresets.builtIn().names()));
  }

  @Test
  void allowPrivateIsFalseByDefaultAndTrueOnlyWhereTheCeilingAllowsIt() throws Exception {
    String org = "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n  egress:\n    allow: [a.example.com]\n";
    String task = "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  egress:\n    allowPrivate: true\n";

    boolean byDefault = resolve(org).allowPrivate();
    boolean alone = resolve(task).allowPrivate();

    assertThat(byDefault).isFalse();
    assertThat(alone).isTrue();
    assertThatThrownBy(() -> resolve(org, task)).isInstanceOf(PolicyException.class)
        .hasMessage(dir.resolve("task.yml") + ":5: spec.egress.allowPrivate: true widens the ceiling (built-in default"
            + " under the Ceiling at " + dir.resolve("org.yml") + ":1 allows only false)");
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
    "allow: ['169.254.169.254:80']|5|spec.egress.allow[0]: 169.254.169.254",
    "allow: ['[::ffff:a9fe:a9fe]']|5|spec.egress.allow[0]: 169.254.169.254",
    "hosts: {meta.test: 'fd00:ec2::254'}|5|spec.egress.hosts[meta.test]: fd00:ec2::254",
  })
  void refusesAllowRulesAndPinsForMetadataAddresses(String egress, int line, String where) {
    String task = "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  egress:\n    " + egress + "\n";

    assertThatThrownBy(() -> resolve(task)).isInstanceOf(PolicyException.class)
        .hasMessage(dir.resolve("task.yml") + ":" + line + ": " + where + " is a cloud metadata address, which the"
            + " gateway always refuses; accepted: any other address (see docs/egress.md#the-address-guard)");
  }
}
