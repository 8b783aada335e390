package dev.taskbound.core.broker.registry;

import dev.taskbound.core.broker.Secret;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One package-registry preset of the effective policy ({@code spec.registries[]}), already
 * narrowed: which registry a client uses, and the scoped read credential, if any. Each record's
 * constructor canonicalises and validates; a bad value throws {@link RegistryConfigException}.
 * Credentials are {@link Secret}s, so {@code toString} never shows them.
 */
public sealed interface RegistrySpec {
  /** {@code npm}, {@code pypi}, {@code maven} or {@code git}: the policy's {@code kind}. */
  String kind();

  /**
   * An npm registry: the default one, or the registry of one {@code @scope}.
   *
   * @param registry http(s) URL; a trailing {@code /} is added
   * @param scope {@code @name} whose packages come from this registry; empty for the default
   * @param token a scoped read token, written as {@code //host/path/:_authToken=}
   */
  record Npm(URI registry, Optional<String> scope, Optional<Secret> token) implements RegistrySpec {
    private static final Pattern SCOPE = Pattern.compile("@[a-z0-9][a-z0-9._~-]*");

    public Npm {
      registry = withSlash(httpUrl("npm registry", registry));
      Objects.requireNonNull(scope, "scope");
      scope.ifPresent(s -> {
        if (!SCOPE.matcher(s).matches()) {
          throw RegistryConfigException.invalid("npm scope '" + s + "' is not a scope: expected @name in lower case, e.g. @acme");
        }
      });
      Objects.requireNonNull(token, "token");
      token.ifPresent(t -> singleLine("npm registry token", t));
    }

    @Override
    public String kind() {
      return "npm";
    }
  }

  /**
   * A Python package index (pip's {@code index-url}).
   *
   * @param indexUrl http(s) URL of the simple index; an http URL also becomes {@code trusted-host}
   * @param credentials a read credential, put into the index URL as pip expects
   */
  record Pypi(URI indexUrl, Optional<Credentials> credentials) implements RegistrySpec {
    public Pypi {
      indexUrl = httpUrl("pypi index-url", indexUrl);
      Objects.requireNonNull(credentials, "credentials");
    }

    @Override
    public String kind() {
      return "pypi";
    }
  }

  /**
   * A Maven repository that mirrors {@code mirrorOf} (usually {@code central}).
   *
   * @param id the mirror's (and server's) id: letters, digits, {@code . _ -}
   * @param url http(s) URL of the repository
   * @param mirrorOf Maven's mirrorOf expression, e.g. {@code central} or {@code *}
   * @param credentials the {@code <server>} username and password, if any
   */
  record Maven(String id, URI url, String mirrorOf, Optional<Credentials> credentials) implements RegistrySpec {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern MIRROR_OF = Pattern.compile("[A-Za-z0-9*!,._:-]{1,200}");

    public Maven {
      Objects.requireNonNull(id, "id");
      if (!ID.matcher(id).matches()) {
        throw RegistryConfigException.invalid("maven repository id '" + id
            + "' is invalid: expected 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit");
      }
      url = httpUrl("maven repository " + id + " url", url);
      Objects.requireNonNull(mirrorOf, "mirrorOf");
      if (!MIRROR_OF.matcher(mirrorOf).matches()) {
        throw RegistryConfigException.invalid("maven repository " + id + " mirrorOf '" + mirrorOf
            + "' is invalid: expected repository ids, '*', 'external:*' or '!id', separated by commas");
      }
      Objects.requireNonNull(credentials, "credentials");
    }

    /** A mirror of {@code central}. */
    public Maven(String id, URI url, Optional<Credentials> credentials) {
      this(id, url, "central", credentials);
    }

    @Override
    public String kind() {
      return "maven";
    }
  }

  /**
   * git URL rewriting: fetches of any {@code insteadOf} prefix go to {@code url}.
   *
   * @param url the http(s) URL prefix to use
   * @param insteadOf the prefixes it replaces, e.g. {@code https://github.com/}, {@code
   *     git@github.com:}; nothing is written when empty
   */
  record Git(URI url, List<String> insteadOf) implements RegistrySpec {
    public Git {
      url = httpUrl("git url", url);
      insteadOf = List.copyOf(insteadOf);
      for (String prefix : insteadOf) {
        if (prefix.isBlank() || !prefix.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"' && c != '\\')) {
          throw RegistryConfigException.invalid("git url " + url + " insteadOf '" + prefix.replaceAll("[^\\x21-\\x7e]", "?")
              + "' is invalid: expected a URL prefix such as https://github.com/ or git@github.com: (printable, no spaces, quotes or backslashes)");
        }
      }
    }

    @Override
    public String kind() {
      return "git";
    }
  }

  /**
   * A username and password (or token) for a registry.
   *
   * @param username printable, no line breaks, no {@code :} (it separates the two in URLs)
   * @param password the secret half
   */
  record Credentials(String username, Secret password) {
    public Credentials {
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
      if (username.isEmpty() || username.contains(":") || !username.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw RegistryConfigException.invalid("registry username '" + username.replaceAll("[^\\x21-\\x7e]", "?")
            + "' is invalid: expected printable ASCII without spaces or ':'");
      }
      singleLine("registry password for " + username, password);
    }

    @Override
    public String toString() {
      return "Credentials[" + username + ", " + password + "]";
    }
  }

  private static URI httpUrl(String what, URI url) {
    Objects.requireNonNull(url, what);
    String s = url.toString();
    boolean ok = ("http".equals(url.getScheme()) || "https".equals(url.getScheme())) && url.getHost() != null
        && url.getRawUserInfo() == null && url.getRawQuery() == null && url.getRawFragment() == null
        && s.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\\');
    if (!ok) {
      throw RegistryConfigException.invalid(what + " '" + s.replaceAll("[^\\x21-\\x7e]", "?")
          + "' is invalid: expected an http:// or https:// URL with a host, without user info, query or fragment");
    }
    return url;
  }

  private static URI withSlash(URI url) {
    String s = url.toString();
    try {
      return s.endsWith("/") ? url : new URI(s + "/");
    } catch (URISyntaxException e) {
      throw new IllegalStateException("appending '/' to a valid URL", e);
    }
  }

  /** Rejects control characters, which would break out of the config line; never echoes the value. */
  private static void singleLine(String what, Secret value) {
    if (value.reveal().chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw RegistryConfigException.invalid(what + " contains a control character or line break (value not shown)");
    }
  }
}
