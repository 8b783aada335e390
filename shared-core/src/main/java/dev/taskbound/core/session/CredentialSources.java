package dev.taskbound.core.session;

import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.VaultTokenSource;
import dev.taskbound.core.broker.github.GithubAppConfig;
import dev.taskbound.core.broker.github.GithubAppKey;
import dev.taskbound.core.broker.vault.VaultAuth;
import dev.taskbound.core.broker.vault.VaultConnection;
import dev.taskbound.core.broker.vault.VaultLogins;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and how the host authenticates to the credential services: the GitHub App and the Vault
 * login. This is host configuration, read once at the host edge from environment variables (never
 * from the command line); the policy says what may be granted. Immutable; secret parts are held
 * as {@link Secret}s or parsed keys and never printed.
 *
 * <table>
 *   <caption>Environment variables read by {@link #fromEnvironment}</caption>
 *   <tr><td>{@code TASKBOUND_GITHUB_APP_ID}</td><td>App id or client id</td></tr>
 *   <tr><td>{@code TASKBOUND_GITHUB_APP_KEY_FILE} or {@code TASKBOUND_GITHUB_APP_KEY}</td>
 *       <td>the App's private key: a PEM file, or the PEM in the variable</td></tr>
 *   <tr><td>{@code TASKBOUND_GITHUB_API_URL}</td><td>default {@code https://api.github.com}</td></tr>
 *   <tr><td>{@code TASKBOUND_VAULT_ADDR}, {@code TASKBOUND_VAULT_NAMESPACE}</td><td>where Vault is</td></tr>
 *   <tr><td>{@code TASKBOUND_VAULT_AUTH}</td><td>{@code token} (default), {@code approle} or {@code jwt}</td></tr>
 *   <tr><td>{@code TASKBOUND_VAULT_TOKEN}</td><td>for {@code token}</td></tr>
 *   <tr><td>{@code TASKBOUND_VAULT_ROLE_ID}, {@code TASKBOUND_VAULT_SECRET_ID}</td><td>for {@code approle}</td></tr>
 *   <tr><td>{@code TASKBOUND_VAULT_JWT_ROLE}, and {@code TASKBOUND_VAULT_JWT} or {@code TASKBOUND_VAULT_JWT_FILE}</td><td>for {@code jwt}</td></tr>
 *   <tr><td>{@code TASKBOUND_VAULT_AUTH_MOUNT}</td><td>default {@code approle} or {@code jwt}</td></tr>
 * </table>
 *
 * @param github the GitHub App, when configured
 * @param vault the Vault connection and login, when configured
 */
public record CredentialSources(Optional<GithubApp> github, Optional<VaultSource> vault) {
  /** Nothing configured: a policy that asks for GitHub or Vault credentials fails to open. */
  public static final CredentialSources NONE = new CredentialSources(Optional.empty(), Optional.empty());

  public CredentialSources {
    Objects.requireNonNull(github, "github");
    Objects.requireNonNull(vault, "vault");
  }

  /** A GitHub App: what {@link GithubAppConfig} needs besides the policy's repositories and permissions. */
  public record GithubApp(String appId, GithubAppKey key, URI apiUrl) {
    public GithubApp {
      Objects.requireNonNull(appId, "appId");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(apiUrl, "apiUrl");
    }
  }

  /** Where Vault is and how the broker logs in. */
  public record VaultSource(VaultConnection connection, VaultAuth auth) {
    public VaultSource {
      Objects.requireNonNull(connection, "connection");
      Objects.requireNonNull(auth, "auth");
    }
  }

  /**
   * Reads the configuration from the host's environment. A service none of whose variables is set
   * is not configured.
   *
   * @throws BrokerException (exit 122) naming the variable that is missing, malformed, or
   *     unreadable; never quoting a secret
   */
  public static CredentialSources fromEnvironment(Map<String, String> env) {
    return new CredentialSources(github(env), vault(env));
  }

  private static Optional<GithubApp> github(Map<String, String> env) {
    String id = value(env, "TASKBOUND_GITHUB_APP_ID");
    String keyFile = value(env, "TASKBOUND_GITHUB_APP_KEY_FILE");
    String key = value(env, "TASKBOUND_GITHUB_APP_KEY");
    String api = value(env, "TASKBOUND_GITHUB_API_URL");
    if (id == null && keyFile == null && key == null) {
      return Optional.empty();
    }
    if (id == null) {
      throw github("TASKBOUND_GITHUB_APP_ID is not set (a GitHub App key is); set it to the App's id or client id");
    }
    if ((keyFile == null) == (key == null)) {
      throw github(keyFile == null
          ? "no App private key: set TASKBOUND_GITHUB_APP_KEY_FILE to a PEM file or TASKBOUND_GITHUB_APP_KEY to the PEM"
          : "both TASKBOUND_GITHUB_APP_KEY_FILE and TASKBOUND_GITHUB_APP_KEY are set; accepted: exactly one");
    }
    GithubAppKey appKey = keyFile != null
        ? GithubAppKey.fromFile(Path.of(keyFile))
        : GithubAppKey.fromEnvironment("TASKBOUND_GITHUB_APP_KEY", env);
    URI apiUrl;
    try {
      apiUrl = api == null ? GithubAppConfig.GITHUB_COM : new URI(api);
    } catch (java.net.URISyntaxException e) {
      throw github("TASKBOUND_GITHUB_API_URL '" + api + "' is not a URL; accepted: https://api.github.com or"
          + " https://HOST/api/v3");
    }
    return Optional.of(new GithubApp(id, appKey, apiUrl));
  }

  private static Optional<VaultSource> vault(Map<String, String> env) {
    String addr = value(env, "TASKBOUND_VAULT_ADDR");
    boolean any = env.keySet().stream().anyMatch(k -> k.startsWith("TASKBOUND_VAULT_") && value(env, k) != null);
    if (!any) {
      return Optional.empty();
    }
    if (addr == null) {
      throw vault("TASKBOUND_VAULT_ADDR is not set (other TASKBOUND_VAULT_* variables are); set it to e.g."
          + " https://vault.example.com:8200");
    }
    VaultConnection connection;
    try {
      connection = new VaultConnection(new URI(addr), Optional.ofNullable(value(env, "TASKBOUND_VAULT_NAMESPACE")));
    } catch (java.net.URISyntaxException e) {
      throw vault("TASKBOUND_VAULT_ADDR '" + addr + "' is not a URL");
    }
    String kind = Optional.ofNullable(value(env, "TASKBOUND_VAULT_AUTH")).orElse("token").toLowerCase(Locale.ROOT);
    String mount = value(env, "TASKBOUND_VAULT_AUTH_MOUNT");
    VaultAuth auth = switch (kind) {
      case "token" -> new VaultAuth.Token(secret(env, "TASKBOUND_VAULT_TOKEN", "TASKBOUND_VAULT_AUTH=token"));
      case "approle" -> new VaultAuth.AppRole(mount, required(env, "TASKBOUND_VAULT_ROLE_ID", "approle"),
          secret(env, "TASKBOUND_VAULT_SECRET_ID", "TASKBOUND_VAULT_AUTH=approle"));
      case "jwt" -> new VaultAuth.Jwt(mount, required(env, "TASKBOUND_VAULT_JWT_ROLE", "jwt"), jwt(env));
      default -> throw vault("TASKBOUND_VAULT_AUTH '" + kind + "' is not accepted; accepted: token, approle, jwt");
    };
    return Optional.of(new VaultSource(connection, auth));
  }

  /**
   * The JWT: {@code TASKBOUND_VAULT_JWT} itself (a host that holds it in memory, such as a Jenkins
   * controller, passes it in the process environment only), or read from {@code
   * TASKBOUND_VAULT_JWT_FILE} (a file a runner refreshes: a teardown in a fresh process reads a fresh
   * one). Exactly one of the two.
   */
  private static Secret jwt(Map<String, String> env) {
    String inline = value(env, "TASKBOUND_VAULT_JWT");
    if (inline != null && value(env, "TASKBOUND_VAULT_JWT_FILE") != null) {
      throw vault("both TASKBOUND_VAULT_JWT and TASKBOUND_VAULT_JWT_FILE are set; accepted: one of them");
    }
    if (inline != null) {
      return Secret.of(inline.strip());
    }
    if (value(env, "TASKBOUND_VAULT_JWT_FILE") == null) {
      throw vault("neither TASKBOUND_VAULT_JWT nor TASKBOUND_VAULT_JWT_FILE is set; TASKBOUND_VAULT_AUTH=jwt needs one");
    }
    String file = required(env, "TASKBOUND_VAULT_JWT_FILE", "jwt");
    try {
      String jwt = Files.readString(Path.of(file)).strip();
      if (jwt.isEmpty()) {
        throw vault("TASKBOUND_VAULT_JWT_FILE " + file + " is empty");
      }
      return Secret.of(jwt);
    } catch (IOException e) {
      throw vault("cannot read TASKBOUND_VAULT_JWT_FILE " + file + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static String required(Map<String, String> env, String name, String auth) {
    String v = value(env, name);
    if (v == null) {
      throw vault(name + " is not set; TASKBOUND_VAULT_AUTH=" + auth + " needs it");
    }
    return v;
  }

  private static Secret secret(Map<String, String> env, String name, String needs) {
    String v = value(env, name);
    if (v == null) {
      throw vault(name + " is not set; " + needs + " needs it");
    }
    return Secret.of(v);
  }

  private static String value(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v;
  }

  private static BrokerException github(String detail) {
    return new BrokerException("github", "read the GitHub App configuration", -1, detail);
  }

  private static BrokerException vault(String detail) {
    return new BrokerException("vault", "read the Vault configuration", -1, detail);
  }

  /**
   * The context for revoking journal entries in a fresh process ({@code taskbound teardown}): Vault
   * entries are revoked after a fresh login with this configuration (revoked right after use).
   */
  public RevocationContext revocationContext() {
    VaultTokenSource tokens = vault
        .map(v -> VaultLogins.relogin(v.connection(), v.auth(), Retry.defaults(), Duration.ofSeconds(10)))
        .orElse(VaultTokenSource.NONE);
    return RevocationContext.builder().vaultTokens(tokens).build();
  }

  /** Names what is configured, never a secret. */
  @Override
  public String toString() {
    return "CredentialSources[github=" + github.map(g -> "app " + g.appId() + " at " + g.apiUrl()).orElse("none")
        + ", vault=" + vault.map(v -> v.connection().address() + " (" + v.auth().getClass().getSimpleName()
            .toLowerCase(Locale.ROOT) + ")").orElse("none") + "]";
  }
}
