package dev.taskbound.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The core's public API is a contract for the hosts and for anyone building on it (STYLE.md #12):
 * its listing is committed in {@code shared-core/api/taskbound-core.api}, and a change to it must be
 * a deliberate, reviewed change of that file. To accept a change, run this test with
 * {@code -Dtaskbound.api.update=true} and commit the file.
 */
class PublicApiTest {
  private static final Path LISTING =
      Path.of(System.getProperty("taskbound.repo.root"), "shared-core", "api", "taskbound-core.api");

  @Test
  void publicApiMatchesTheCommittedListing() throws IOException {
    String current = listing();

    if (Boolean.getBoolean("taskbound.api.update")) {
      Files.createDirectories(LISTING.getParent());
      Files.writeString(LISTING, current);
    }

    assertThat(LISTING).as("committed API listing").exists();
    assertThat(Files.readString(LISTING))
        .as("the public API changed; review it, then rerun with -Dtaskbound.api.update=true and commit %s", LISTING)
        .isEqualTo(current);
  }

  private static String listing() {
    List<String> lines = new ArrayList<>();
    new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.taskbound.core")
        .stream()
        .filter(c -> c.getModifiers().contains(JavaModifier.PUBLIC) && isVisible(c))
        .sorted((a, b) -> a.getName().compareTo(b.getName()))
        .forEach(c -> lines.addAll(describe(c)));
    return String.join("\n", lines) + "\n";
  }

  private static boolean isVisible(JavaClass c) {
    return !c.getPackageName().contains(".internal")
        && c.getEnclosingClass().map(e -> e.getModifiers().contains(JavaModifier.PUBLIC) && isVisible(e)).orElse(true);
  }

  private static List<String> describe(JavaClass c) {
    List<String> out = new ArrayList<>();
    String kind = c.isEnum() ? "enum" : c.isRecord() ? "record" : c.isInterface() ? "interface" : "class";
    String supertypes = c.getRawInterfaces().stream().map(JavaClass::getName).sorted().collect(Collectors.joining(", "));
    out.add(kind + " " + c.getName()
        + c.getRawSuperclass().filter(s -> !s.getName().startsWith("java.lang.")).map(s -> " extends " + s.getName()).orElse("")
        + (supertypes.isEmpty() ? "" : " implements " + supertypes));
    List<String> members = new ArrayList<>();
    for (JavaField f : c.getFields()) {
      if (f.getModifiers().contains(JavaModifier.PUBLIC)) {
        members.add("  field " + f.getRawType().getName() + " " + f.getName());
      }
    }
    for (JavaCodeUnit m : c.getCodeUnits()) {
      if ((m.getModifiers().contains(JavaModifier.PUBLIC) || m.getModifiers().contains(JavaModifier.PROTECTED))
          && !m.getModifiers().contains(JavaModifier.SYNTHETIC) && !m.getModifiers().contains(JavaModifier.BRIDGE)
          && !m.getName().equals("<clinit>")) {
        String params = m.getRawParameterTypes().stream().map(JavaClass::getName).collect(Collectors.joining(", "));
        String name = m.getName().equals("<init>") ? "new" : m.getName();
        members.add("  " + (m.getModifiers().contains(JavaModifier.STATIC) ? "static " : "")
            + m.getRawReturnType().getName() + " " + name + "(" + params + ")");
      }
    }
    members.sort(String::compareTo);
    out.addAll(members);
    return out;
  }
}
