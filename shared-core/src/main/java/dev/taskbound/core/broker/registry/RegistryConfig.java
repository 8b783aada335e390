package dev.taskbound.core.broker.registry;

import dev.taskbound.core.broker.EncodedForms;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Writes the package clients' configuration for a session's registry presets into a directory
 * the session owns ({@code .npmrc}, {@code pip.conf}, Maven {@code settings.xml}, {@code
 * .gitconfig}), each created new with mode {@code 0600}, and removes it at teardown. Only the
 * files a preset calls for are written. The files hold the scoped read tokens the presets carry;
 * nothing is logged. Stateless and thread-safe.
 */
public final class RegistryConfig {
  public static final String NPMRC = ".npmrc";
  public static final String PIP_CONF = "pip.conf";
  public static final String MAVEN_SETTINGS = "settings.xml";
  public static final String GITCONFIG = ".gitconfig";

  static final String HEADER = "written by Taskbound for one session; removed at teardown";
  /** No {@code <proxies>} section in settings.xml. */
  private static final int NO_PROXY = 0;

  private RegistryConfig() {}

  /**
   * Writes the configuration for {@code specs} into {@code dir}.
   *
   * @param dir an existing directory private to the session (it should be {@code 0700})
   * @param specs the effective policy's registry presets
   * @param proxyPort the sandbox forwarder's port on {@code 127.0.0.1}, written as Maven's proxy
   *     (npm, pip and git take the proxy from the environment the sandbox sets)
   * @return the files written, in order; hand them to {@link #remove} at teardown
   * @throws RegistryConfigException (exit 120) if the presets conflict: two default npm registries,
   *     a scope twice, two pip indexes, two Maven repositories with one id or mirroring the same
   *     thing; (exit 122) if a file cannot be created (for example it exists already), after
   *     removing the files this call had written
   * @throws IllegalArgumentException if {@code proxyPort} is not within 1..65535
   */
  public static List<Path> write(Path dir, List<? extends RegistrySpec> specs, int proxyPort) {
    if (proxyPort < 1 || proxyPort > 65535) {
      throw new IllegalArgumentException("proxyPort must be within 1..65535, was " + proxyPort);
    }
    return writeFiles(dir, specs, proxyPort);
  }

  /**
   * Like {@link #write(Path, List, int)}, but Maven's {@code settings.xml} has no {@code <proxies>}:
   * for a sandbox whose forwarder port is chosen only when it starts (netns), where Maven takes
   * the proxy from the {@code JAVA_TOOL_OPTIONS} system properties the sandbox sets.
   *
   * @throws RegistryConfigException as {@link #write(Path, List, int)}
   */
  public static List<Path> write(Path dir, List<? extends RegistrySpec> specs) {
    return writeFiles(dir, specs, NO_PROXY);
  }

  private static List<Path> writeFiles(Path dir, List<? extends RegistrySpec> specs, int proxyPort) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(specs, "specs");
    Map<String, String> files = render(specs, proxyPort);
    List<Path> written = new ArrayList<>();
    try {
      for (Map.Entry<String, String> f : files.entrySet()) {
        Path file = dir.resolve(f.getKey());
        createPrivate(file, f.getValue());
        written.add(file);
      }
    } catch (IOException e) {
      try {
        remove(written);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw RegistryConfigException.unwritable("could not write the registry configuration in " + dir + ": "
          + e.getClass().getSimpleName() + " " + e.getMessage(), e);
    }
    return List.copyOf(written);
  }

  /**
   * The variables that point the clients at the files {@link #write} returned, for a directory
   * that is not the agent's {@code HOME}: {@code NPM_CONFIG_USERCONFIG}, {@code PIP_CONFIG_FILE},
   * {@code MAVEN_ARGS} ({@code -s FILE}, Maven 3.9+). The {@code .gitconfig} has no such variable
   * that would not replace the user's own: the session includes it ({@code include.path}).
   */
  public static Map<String, String> environment(List<Path> written) {
    Map<String, String> env = new LinkedHashMap<>();
    for (Path p : written) {
      switch (p.getFileName().toString()) {
        case NPMRC -> env.put("NPM_CONFIG_USERCONFIG", p.toString());
        case PIP_CONF -> env.put("PIP_CONFIG_FILE", p.toString());
        case MAVEN_SETTINGS -> env.put("MAVEN_ARGS", "-s " + p);
        default -> { }
      }
    }
    return env;
  }

  /**
   * Deletes the files; a missing file counts as removed, so this is idempotent. Every file is
   * tried; the first failure is thrown with the others suppressed.
   *
   * @throws UncheckedIOException if a file exists and cannot be deleted (its path is named)
   */
  public static void remove(List<Path> files) {
    UncheckedIOException first = null;
    for (Path f : files) {
      try {
        Files.deleteIfExists(f);
      } catch (IOException e) {
        UncheckedIOException failure = new UncheckedIOException("could not remove registry configuration " + f, e);
        if (first == null) {
          first = failure;
        } else {
          first.addSuppressed(failure);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** File name to content, in a fixed order. */
  static Map<String, String> render(List<? extends RegistrySpec> specs, int proxyPort) {
    List<RegistrySpec.Npm> npm = new ArrayList<>();
    List<RegistrySpec.Pypi> pypi = new ArrayList<>();
    List<RegistrySpec.Maven> maven = new ArrayList<>();
    List<RegistrySpec.Git> git = new ArrayList<>();
    for (RegistrySpec s : specs) {
      Objects.requireNonNull(s, "spec");
      if (s instanceof RegistrySpec.Npm n) {
        npm.add(n);
      } else if (s instanceof RegistrySpec.Pypi p) {
        pypi.add(p);
      } else if (s instanceof RegistrySpec.Maven m) {
        maven.add(m);
      } else if (s instanceof RegistrySpec.Git g) {
        git.add(g);
      }
    }
    Map<String, String> files = new LinkedHashMap<>();
    if (!npm.isEmpty()) {
      files.put(NPMRC, npmrc(npm));
    }
    if (!pypi.isEmpty()) {
      files.put(PIP_CONF, pipConf(pypi));
    }
    if (!maven.isEmpty()) {
      files.put(MAVEN_SETTINGS, mavenSettings(maven, proxyPort));
    }
    if (git.stream().anyMatch(g -> !g.insteadOf().isEmpty())) {
      files.put(GITCONFIG, gitconfig(git));
    }
    return files;
  }

  static String npmrc(List<RegistrySpec.Npm> specs) {
    StringBuilder b = new StringBuilder("; " + HEADER + "\n");
    Set<String> scopes = new HashSet<>();
    for (RegistrySpec.Npm n : specs) {
      String key = n.scope().map(s -> s + ":registry").orElse("registry");
      if (!scopes.add(key)) {
        throw RegistryConfigException.invalid(n.scope().map(s -> "npm scope " + s + " is").orElse("a default npm registry is")
            + " configured twice (" + n.registry() + "): give each scope, and the default, one registry");
      }
      b.append(key).append('=').append(n.registry()).append('\n');
      n.token().ifPresent(t -> b.append(nerfDart(n.registry())).append(":_authToken=").append(t.reveal()).append('\n'));
    }
    return b.toString();
  }

  /** npm's key for per-registry settings: the URL without its scheme, {@code //host[:port]/path/}. */
  static String nerfDart(URI registry) {
    return "//" + registry.getRawAuthority() + registry.getRawPath();
  }

  static String pipConf(List<RegistrySpec.Pypi> specs) {
    if (specs.size() > 1) {
      throw RegistryConfigException.invalid("pypi is configured " + specs.size() + " times (" + specs.get(0).indexUrl() + ", "
          + specs.get(1).indexUrl() + "): pip takes one index-url");
    }
    RegistrySpec.Pypi p = specs.get(0);
    StringBuilder b = new StringBuilder("# " + HEADER + "\n[global]\nindex-url = ");
    URI url = p.indexUrl();
    b.append(p.credentials().map(c -> withUserInfo(url, c)).orElse(url.toString())).append('\n');
    if ("http".equals(url.getScheme())) {
      b.append("trusted-host = ").append(url.getHost()).append('\n');
    }
    return b.toString();
  }

  private static String withUserInfo(URI url, RegistrySpec.Credentials c) {
    String userInfo = EncodedForms.userInfo(c.username()) + ":" + EncodedForms.userInfo(c.password().reveal());
    return url.getScheme() + "://" + userInfo + "@" + url.getRawAuthority() + Optional.ofNullable(url.getRawPath()).orElse("");
  }

  static String mavenSettings(List<RegistrySpec.Maven> specs, int proxyPort) {
    Set<String> ids = new HashSet<>();
    Set<String> mirrored = new HashSet<>();
    for (RegistrySpec.Maven m : specs) {
      if (!ids.add(m.id())) {
        throw RegistryConfigException.invalid("maven repository id '" + m.id() + "' is configured twice: ids must be unique");
      }
      if (!mirrored.add(m.mirrorOf())) {
        throw RegistryConfigException.invalid("maven repositories mirror '" + m.mirrorOf() + "' twice (" + m.id()
            + "): give each mirrorOf one repository");
      }
    }
    StringBuilder b = new StringBuilder();
    b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    b.append("<!-- ").append(HEADER).append(" -->\n");
    b.append("<settings xmlns=\"http://maven.apache.org/SETTINGS/1.2.0\"")
        .append(" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"")
        .append(" xsi:schemaLocation=\"http://maven.apache.org/SETTINGS/1.2.0 https://maven.apache.org/xsd/settings-1.2.0.xsd\">\n");
    if (proxyPort != NO_PROXY) {
      b.append("  <proxies>\n");
      for (String protocol : List.of("http", "https")) {
        b.append("    <proxy>\n")
            .append("      <id>taskbound-").append(protocol).append("</id>\n")
            .append("      <active>true</active>\n")
            .append("      <protocol>").append(protocol).append("</protocol>\n")
            .append("      <host>127.0.0.1</host>\n")
            .append("      <port>").append(proxyPort).append("</port>\n")
            .append("    </proxy>\n");
      }
      b.append("  </proxies>\n");
    }
    if (specs.stream().anyMatch(m -> m.credentials().isPresent())) {
      b.append("  <servers>\n");
      for (RegistrySpec.Maven m : specs) {
        m.credentials().ifPresent(c -> b.append("    <server>\n")
            .append("      <id>").append(EncodedForms.xml(m.id())).append("</id>\n")
            .append("      <username>").append(EncodedForms.xml(c.username())).append("</username>\n")
            .append("      <password>").append(EncodedForms.xml(c.password().reveal())).append("</password>\n")
            .append("    </server>\n"));
      }
      b.append("  </servers>\n");
    }
    b.append("  <mirrors>\n");
    for (RegistrySpec.Maven m : specs) {
      b.append("    <mirror>\n")
          .append("      <id>").append(EncodedForms.xml(m.id())).append("</id>\n")
          .append("      <mirrorOf>").append(EncodedForms.xml(m.mirrorOf())).append("</mirrorOf>\n")
          .append("      <url>").append(EncodedForms.xml(m.url().toString())).append("</url>\n")
          .append("    </mirror>\n");
    }
    b.append("  </mirrors>\n</settings>\n");
    return b.toString();
  }

  static String gitconfig(List<RegistrySpec.Git> specs) {
    StringBuilder b = new StringBuilder("# " + HEADER + "\n");
    Set<String> prefixes = new HashSet<>();
    for (RegistrySpec.Git g : specs) {
      if (g.insteadOf().isEmpty()) {
        continue;
      }
      b.append("[url \"").append(g.url()).append("\"]\n");
      for (String prefix : g.insteadOf()) {
        if (!prefixes.add(prefix)) {
          throw RegistryConfigException.invalid("git insteadOf '" + prefix + "' is configured twice: each prefix is rewritten to one url");
        }
        b.append("\tinsteadOf = ").append(prefix).append('\n');
      }
    }
    return b.toString();
  }

  /** Creates {@code file} with mode 0600 from the start; refuses to replace an existing file. */
  private static void createPrivate(Path file, String content) throws IOException {
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      w.write(content);
    }
  }
}
