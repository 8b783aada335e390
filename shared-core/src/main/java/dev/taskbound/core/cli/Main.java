package dev.taskbound.core.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Process entry point: runs {@link TaskboundCli} and exits with its status. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    StartupLocaleData.applyToThisJvm(); // before anything reads locale data
    dev.taskbound.core.gate.AgentApiJvm.applyToThisJvm(); // before a session starts its agent API
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int status;
    try {
      status = TaskboundCli.execute(args, System.in, out, err, System.getenv());
    } catch (Throwable e) { // execute reports everything; this is the last line of defence
      status = dev.taskbound.core.ExitCodes.INTERNAL;
    }
    System.exit(status);
  }
}
