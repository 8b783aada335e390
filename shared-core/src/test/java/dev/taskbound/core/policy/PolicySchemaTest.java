package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** docs/policy.schema.json, docs/policy.md, the examples and the parser describe the same format. */
class PolicySchemaTest {
  private static final Path ROOT = Path.of(System.getProperty("taskbound.repo.root"));
  private static final Path SCHEMA = ROOT.resolve("docs/policy.schema.json");
  private static final Path EXAMPLES = ROOT.resolve("examples/policies");

  static Stream<Path> examples() throws IOException {
    try (Stream<Path> s = Files.list(EXAMPLES)) {
      List<Path> files = s.filter(p -> p.toString().endsWith(".yml")).sorted().collect(Collectors.toList());
      assertThat(files).isNotEmpty();
      return files.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("examples")
  void everyExampleMatchesTheSchemaAndResolves(Path example) throws IOException {
    List<JsonNode> docs = documents(Files.readString(example));

    for (JsonNode doc : docs) {
      assertThat(schema().validate(doc)).as(example + ": " + doc).isEmpty();
    }
    boolean needsCeiling = docs.stream().anyMatch(d -> d.has("profile"));
    List<Path> files = needsCeiling ? List.of(EXAMPLES.resolve("org-ceiling.yml"), example) : List.of(example);
    assertThat(PolicyResolver.resolve(files, Optional.empty()).digest()).startsWith("sha256:");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {egress: {allw: []}}\n",
      "apiVersion: taskbound.dev/v2\nkind: Task\n",
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {identity: {trustDomain: x.dev}}\n",
      "apiVersion: taskbound.dev/v1\nkind: Ceiling\nprofile: x\n",
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {ttl: 3x}\n",
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {github: {permissions: {contents: all}}}\n",
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {registries: [{kind: cargo, url: 'https://c.example/'}]}\n",
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {registries: [{kind: npm}]}\n",
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {registries: [{kind: npm, url: 'http://n.example/',"
          + " token: {env: T}}]}\n",
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {registries: [{kind: npm, url: 'https://n.example/',"
          + " id: corp}]}\n",
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {registries: [{kind: maven, url: 'https://m.example/'}]}\n",
      "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {registries: [{kind: pypi, url: 'https://u:p@p.example/'}]}\n",
  })
  void schemaRejectsWhatTheParserRejects(String yaml) throws IOException {
    JsonNode doc = documents(yaml).get(0);

    Set<ValidationMessage> errors = schema().validate(doc);

    assertThat(errors).isNotEmpty();
    assertThat(catchPolicyException(yaml)).isNotNull();
  }

  @Test
  void registriesExampleOfPolicyMdMatchesTheSchemaAndResolves() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs/policy.md"));
    int start = doc.indexOf("```yaml\nregistries:\n") + "```yaml\n".length();
    String registries = doc.substring(start, doc.indexOf("```", start));
    String yaml = "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + registries.lines().map(l -> "  " + l + "\n").collect(Collectors.joining());

    Set<ValidationMessage> errors = schema().validate(documents(yaml).get(0));

    assertThat(errors).isEmpty();
    assertThat(catchPolicyException(yaml)).isNull();
  }

  @Test
  void schemaPropertiesAreExactlyTheKeysTheParserAccepts() throws IOException {
    Set<String> schemaKeys = propertyNames(new ObjectMapper().readTree(SCHEMA.toFile()));

    assertThat(schemaKeys).isEqualTo(PolicyBinder.allAcceptedKeys());
  }

  @Test
  void policyMdDocumentsEveryPropertyTheSchemaDeclares() throws IOException {
    Set<String> schemaKeys = propertyNames(new ObjectMapper().readTree(SCHEMA.toFile()));
    String doc = Files.readString(ROOT.resolve("docs/policy.md"));

    List<String> missing = new ArrayList<>();
    for (String key : schemaKeys) {
      if (!doc.contains("`" + key + "`")) {
        missing.add(key);
      }
    }

    assertThat(schemaKeys).hasSizeGreaterThan(20);
    assertThat(missing).isEmpty();
  }

  /** Every name declared under a {@code properties} object anywhere in the schema. */
  private static Set<String> propertyNames(JsonNode node) {
    Set<String> names = new TreeSet<>();
    collect(node, names);
    return names;
  }

  private static void collect(JsonNode node, Set<String> names) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("properties") && e.getValue().isObject()) {
          e.getValue().fieldNames().forEachRemaining(names::add);
        }
        collect(e.getValue(), names);
      }
    } else if (node.isArray()) {
      node.forEach(n -> collect(n, names));
    }
  }

  private static PolicyException catchPolicyException(String yaml) {
    try {
      PolicyResolver.resolveDocuments(PolicyBinder.parse("inline.yml", yaml), Optional.empty());
      return null;
    } catch (PolicyException e) {
      return e;
    }
  }

  private static JsonSchema schema() throws IOException {
    JsonNode node = new ObjectMapper().readTree(SCHEMA.toFile());
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(node);
  }

  private static List<JsonNode> documents(String yaml) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    new YAMLMapper().readerFor(JsonNode.class).<JsonNode>readValues(yaml).forEachRemaining(docs::add);
    return docs;
  }
}
