package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.session.OpenPhase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Only the command the arguments name is built; without one, help and errors show the whole tree. */
class TopCommandsTest {
  private static final CommandLine.IFactory FACTORY = new TaskboundCli.Factory(Map.of(), java.io.InputStream.nullInputStream(), OpenPhase.Listener.NONE);

  @Test
  void everyNameIsTheOneItsCommandDeclares() {
    for (Map.Entry<String, Class<?>> command : TopCommands.ALL) {
      assertThat(command.getValue().getAnnotation(CommandLine.Command.class).name())
          .as(command.getValue().getSimpleName())
          .isEqualTo(command.getKey());
    }
  }

  @Test
  void aNamedCommandIsTheOnlyOneRegistered() {
    CommandLine cli = new CommandLine(new TaskboundCli(), FACTORY);

    TopCommands.register(cli, new String[] {"--debug", "verify", "--help"}, FACTORY);

    assertThat(cli.getSubcommands()).containsOnlyKeys("verify");
  }

  @Test
  void aVersionRequestRegistersNoCommandAndStillPrintsTheVersion() {
    for (String[] args : new String[][] {{"--version"}, {"-V"}, {"--debug", "--version"}}) {
      CommandLine cli = new CommandLine(new TaskboundCli(), FACTORY);

      TopCommands.register(cli, args, FACTORY);

      assertThat(cli.getSubcommands()).as(String.join(" ", args)).isEmpty();
    }
    StringWriter out = new StringWriter();
    int status = TaskboundCli.execute(new String[] {"--version"}, new PrintWriter(out), new PrintWriter(new StringWriter()), Map.of());
    assertThat(status).isZero();
    assertThat(out.toString()).isEqualTo(String.join(System.lineSeparator(), new VersionProvider().getVersion())
        + System.lineSeparator());
  }

  @Test
  void withoutAKnownCommandEveryCommandIsRegisteredInHelpOrder() {
    for (String[] args : new String[][] {{}, {"--help"}, {"help", "run"}, {"rnu"}, {"@args.txt"}, {"--", "run"},
        {"--version", "--help"}, {"-hV"}}) {
      CommandLine cli = new CommandLine(new TaskboundCli(), FACTORY);

      TopCommands.register(cli, args, FACTORY);

      assertThat(cli.getSubcommands().keySet())
          .as(String.join(" ", args))
          .containsExactly("run", "policy", "verify", "teardown", "secret", "token", "gate", "session", "approve", "deny",
              "approvals", "credentials", "help");
    }
  }

  @Test
  void theTopLevelHelpStillListsEveryCommand() {
    StringWriter out = new StringWriter();

    int status = TaskboundCli.execute(new String[] {"--help"}, new PrintWriter(out), new PrintWriter(new StringWriter()), Map.of());

    assertThat(status).isZero();
    assertThat(out.toString()).contains("  run ", "  policy ", "  verify ", "  teardown ", "  secret ", "  token ", "  gate ",
        "  session ", "  help ");
  }

  @Test
  void aMistypedCommandIsStillTheUsageErrorOfTheWholeTree() {
    StringWriter err = new StringWriter();

    int status = TaskboundCli.execute(new String[] {"rnu"}, new PrintWriter(new StringWriter()), new PrintWriter(err), Map.of());

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).startsWith("taskbound: Unmatched argument at index 0: 'rnu'");
  }

  @Test
  void anInheritedOptionBeforeOrAfterTheCommandStillParses() {
    StringWriter err = new StringWriter();

    int status = TaskboundCli.execute(new String[] {"verify", "--debug", "--help"}, new PrintWriter(new StringWriter()),
        new PrintWriter(err), Map.of());

    assertThat(status).as(err.toString()).isZero();
  }
}
