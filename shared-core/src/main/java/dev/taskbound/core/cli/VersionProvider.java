package dev.taskbound.core.cli;

import picocli.CommandLine;

/** Reports the version from the jar's manifest (or "dev" when run from classes). */
final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = TaskboundCli.class.getPackage().getImplementationVersion();
    return new String[] {"taskbound " + (version == null ? "dev" : version)};
  }
}
