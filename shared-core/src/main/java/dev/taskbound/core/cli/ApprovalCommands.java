package dev.taskbound.core.cli;

import dev.taskbound.core.session.ApprovalClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code taskbound approve|deny --session H REQUEST [--reason TEXT]} and {@code taskbound approvals
 * --session H}: a person answers, from another shell, a request the session's gate holds for approval
 * (docs/gate.md, "Approvals"). Only the session's own user or root can: the session checks the
 * caller's credentials on its approvals socket and records that user as who answered.
 */
final class ApprovalCommands {
  private ApprovalCommands() {}

  /** The options of approve and deny. */
  abstract static class Answer implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--session", required = true, paramLabel = "H",
        description = "The session's handle: the 'session:' path 'taskbound run' or 'taskbound session start' printed.")
    Path session;

    @Parameters(paramLabel = "REQUEST", description = "The request's id (approval-1), as 'taskbound approvals' lists it.")
    String request;

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "", description = "Why; recorded with the answer.")
    String reason;

    @Option(names = "--channel", paramLabel = "NAME", defaultValue = "cli",
        description = "For hosts answering for a person (the Jenkins build page passes 'jenkins'); default cli.")
    String channel;

    @Option(names = "--on-behalf-of", paramLabel = "USER", defaultValue = "",
        description = "For hosts answering for a person: whom; recorded as 'USER (via <this OS user>)'.")
    String onBehalfOf;

    abstract boolean grant();

    @Override
    public Integer call() {
      ApprovalClient.Answered a = ApprovalClient.of(session).answer(request, grant(), reason, channel, onBehalfOf);
      PrintWriter out = spec.commandLine().getOut();
      out.println(a.request() + " " + a.outcome() + " by " + a.who() + " at " + a.at());
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "approve",
      mixinStandardHelpOptions = true,
      description = {"Approves a request the session's gate holds for a person (run by the session's user or root)."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:approved and recorded (approval.granted)",
        "121:the session takes no approvals (ended, or not running)",
        "125:no such request waits (unknown, answered or expired), not the session's user, or usage error"
      })
  static final class Approve extends Answer {
    @Override
    boolean grant() {
      return true;
    }
  }

  @Command(
      name = "deny",
      mixinStandardHelpOptions = true,
      description = {"Denies a request the session's gate holds for a person (run by the session's user or root)."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:denied and recorded (approval.denied)",
        "121:the session takes no approvals (ended, or not running)",
        "125:no such request waits (unknown, answered or expired), not the session's user, or usage error"
      })
  static final class Deny extends Answer {
    @Override
    boolean grant() {
      return false;
    }
  }

  @Command(
      name = "approvals",
      mixinStandardHelpOptions = true,
      description = {"Lists the requests waiting for approval in a session, one a line, oldest first."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:listed (possibly none)", "121:the session takes no approvals", "125:usage error"})
  static final class Pending implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--session", required = true, paramLabel = "H",
        description = "The session's handle: the 'session:' path 'taskbound run' or 'taskbound session start' printed.")
    Path session;

    @Option(names = "--json", description = {"One JSON object a line, with every field exact (for hosts such as the Jenkins"
        + " build page) and 'display', the line the plain listing shows. Printable ASCII only: every other character"
        + " is a \\uXXXX escape, so a terminal shows no control or bidi character."})
    boolean json;

    @Override
    public Integer call() {
      List<ApprovalClient.Waiting> waiting = ApprovalClient.of(session).pending();
      PrintWriter out = spec.commandLine().getOut();
      for (ApprovalClient.Waiting w : waiting) {
        out.println(json ? jsonLine(w) : w.describe());
      }
      out.flush();
      return 0;
    }
  }

  /**
   * One request as a JSON line: the fields exact (JSON's escapes are unambiguous for a program), plus
   * {@code display}, the escaped line {@link ApprovalClient.Waiting#describe} shows a person. Written
   * in printable ASCII only (every other character, DEL and C0 included, as {@code \\uXXXX}), so that
   * a person reading the JSON in a terminal cannot be shown an ESC sequence or a bidi reordering.
   */
  static String jsonLine(ApprovalClient.Waiting w) {
    java.util.Map<String, String> fields = new java.util.TreeMap<>(w.fields());
    fields.put("display", w.describe());
    try {
      return ASCII_JSON.writeValueAsString(fields);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a map of strings is always JSON", e);
    }
  }

  /** JSON in printable ASCII: non-ASCII escaped by the generator, DEL by the escapes below. */
  private static final com.fasterxml.jackson.databind.ObjectMapper ASCII_JSON = asciiJson();

  private static com.fasterxml.jackson.databind.ObjectMapper asciiJson() {
    com.fasterxml.jackson.core.JsonFactory factory = com.fasterxml.jackson.core.JsonFactory.builder()
        .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII).build();
    factory.setCharacterEscapes(new com.fasterxml.jackson.core.io.CharacterEscapes() {
      private static final long serialVersionUID = 1L;
      private final int[] ascii = standardAsciiEscapesWithDel();

      @Override
      public int[] getEscapeCodesForAscii() {
        return ascii;
      }

      @Override
      public com.fasterxml.jackson.core.SerializableString getEscapeSequence(int ch) {
        return null; // only the standard escapes are used
      }
    });
    return new com.fasterxml.jackson.databind.ObjectMapper(factory);
  }

  private static int[] standardAsciiEscapesWithDel() {
    int[] codes = com.fasterxml.jackson.core.io.CharacterEscapes.standardAsciiEscapesForJSON();
    codes[0x7f] = com.fasterxml.jackson.core.io.CharacterEscapes.ESCAPE_STANDARD;
    return codes;
  }
}
