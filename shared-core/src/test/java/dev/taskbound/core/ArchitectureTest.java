package dev.taskbound.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.fields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The layering of DESIGN.md and the rules of STYLE.md, checked so that they cannot erode. */
@AnalyzeClasses(packages = "dev.taskbound.core", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  /** Only the session knows every area; the areas themselves never reach up into it or the CLI. */
  @ArchTest
  static final ArchRule areasDoNotDependOnSessionOrCli =
      noClasses()
          .that()
          .resideInAnyPackage(
              "..core.policy..", "..core.identity..", "..core.egress..", "..core.sandbox..",
              "..core.evidence..", "..core.broker..", "..core.gate..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("..core.session..", "..core.cli..");

  /** The gateway and the sandbox report through listeners; they know nothing of evidence. */
  @ArchTest
  static final ArchRule egressAndSandboxDoNotWriteEvidence =
      noClasses()
          .that()
          .resideInAnyPackage("..core.egress..", "..core.sandbox..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("..core.evidence..");

  /** The core never depends on a host adapter. */
  @ArchTest
  static final ArchRule coreDependsOnNoHost =
      noClasses()
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("dev.taskbound.action..", "io.jenkins.plugins..", "hudson..", "jenkins..");

  /** No public fields (STYLE.md #12); constants are the exception. */
  @ArchTest
  static final ArchRule noPublicMutableFields =
      fields().that().arePublic().should().beStatic().andShould().beFinal();

  /** No static mutable state (STYLE.md #7): one JVM may run many jobs. */
  @ArchTest
  static final ArchRule noStaticMutableState =
      fields().that().areStatic().and().areNotDeclaredIn(ArchitectureTest.class).should().beFinal();

  /**
   * {@link Json#MAPPER} is shared by every area, and parses what agents send (the agent API), so no
   * code reconfigures a mapper after it is made, default typing above all (a mapper with other
   * settings is built with them: {@code JsonMapper.builder()}).
   */
  @ArchTest
  static final ArchRule noMapperIsReconfigured =
      noClasses()
          .should()
          .callMethodWhere(DescribedPredicate.describe(
              "a method that reconfigures an ObjectMapper or its JsonFactory",
              call -> (call.getTargetOwner().isAssignableTo(ObjectMapper.class)
                      || call.getTargetOwner().isAssignableTo(JsonFactory.class))
                  && call.getName().matches("configure.*|enable.*|disable.*|activate.*|deactivate.*|register.*"
                      + "|find.*Modules|set.*|add.*|coercionConfig.*|clear.*")));

  /** Only the host edge reads the process environment (STYLE.md #7). */
  @ArchTest
  static final ArchRule onlyMainReadsTheEnvironment =
      noClasses()
          .that()
          .doNotHaveFullyQualifiedName("dev.taskbound.core.cli.Main")
          .and()
          .doNotHaveFullyQualifiedName("dev.taskbound.core.sandbox.SandboxInit")
          .should()
          .callMethod(System.class, "getenv")
          .orShould()
          .callMethod(System.class, "getenv", String.class);
}
