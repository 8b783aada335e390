package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.ExitCodes;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every code of {@link ExitCodes} is in the exit-code table of docs/cli.md, and the table has no other. */
class ExitCodesDocumentedTest {
  @Test
  void theExitCodeTableOfDocsCliMdListsExactlyTheCodesOfExitCodes() throws Exception {
    String doc = Files.readString(Path.of(System.getProperty("taskbound.repo.root"), "docs", "cli.md"));
    String table = doc.substring(doc.indexOf("### Exit codes of `run`"));
    table = table.substring(0, table.indexOf("\n\n", table.indexOf("| code |")));
    Set<Integer> documented = new LinkedHashSet<>();
    Matcher row = Pattern.compile("(?m)^\\| ([0-9][0-9, -]*) \\|").matcher(table);
    while (row.find()) {
      for (String part : row.group(1).split(",")) {
        String p = part.strip();
        if (!p.contains("-")) {
          documented.add(Integer.parseInt(p));
        }
      }
    }
    Set<Integer> defined = new LinkedHashSet<>();
    for (Field f : ExitCodes.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && !f.getName().equals("SIGNAL_BASE")) {
        defined.add(f.getInt(null));
      }
    }

    assertThat(documented).containsExactlyInAnyOrderElementsOf(defined);
  }
}
