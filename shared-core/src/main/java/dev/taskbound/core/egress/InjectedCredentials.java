package dev.taskbound.core.egress;

import dev.taskbound.core.broker.Secret;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * The credentials the inspecting gateway injects: for each, a random placeholder the agent holds
 * instead of the real value, bound to this session and to the hosts the credential belongs to. The
 * gateway puts the real value in place of the placeholder in {@code Authorization} (and the header
 * the binding names) only on requests to those hosts. Thread-safe: the session binds credentials as
 * it issues them, after the gateway has started.
 */
public final class InjectedCredentials {
  /** Nothing injected. */
  public static final InjectedCredentials NONE = new InjectedCredentials();

  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  /**
   * A token type's public prefix ({@code ghs_}, {@code npm_}) is kept: some clients check it. Only
   * these: the start of any other value (a registry password {@code Hunter42_x9}) is part of the secret.
   */
  private static final Pattern KEPT_PREFIX = Pattern.compile("^[A-Za-z0-9]{1,8}_");
  private static final Set<String> PUBLIC_PREFIXES = Set.of("ghs_", "ghp_", "gho_", "ghu_", "ghr_", "github_", "npm_");

  /**
   * One credential and its placeholder.
   *
   * @param hosts the canonical hosts the real value may go to
   * @param header the header (besides {@code Authorization}) the placeholder is replaced in, lower
   *     case; {@code ""} for none
   * @param placeholder what the agent holds
   * @param real the value the gateway sends
   */
  record Binding(Set<String> hosts, String header, String placeholder, Secret real) {
    @Override
    public String toString() {
      return "Binding[hosts=" + hosts + ", header=" + header + ", placeholder=" + placeholder + "]";
    }
  }

  private final List<Binding> bindings = new CopyOnWriteArrayList<>();
  /** Real values a {@link #rebind} replaced: still refused if the agent ever sends one. */
  private final List<Secret> retired = new CopyOnWriteArrayList<>();
  private final SecureRandom random = new SecureRandom();

  /** An empty set of bindings for one session. */
  public static InjectedCredentials create() {
    return new InjectedCredentials();
  }

  private InjectedCredentials() {}

  /**
   * Binds {@code real} to {@code hosts} and returns the placeholder the agent gets instead.
   *
   * @param hosts canonical host names
   * @param header a header name the credential travels in besides {@code Authorization}, or {@code ""}
   * @throws UnsupportedOperationException on {@link #NONE}
   */
  public String bind(Set<String> hosts, String header, Secret real) {
    if (this == NONE) {
      throw new UnsupportedOperationException("InjectedCredentials.NONE binds nothing");
    }
    Objects.requireNonNull(real, "real");
    synchronized (bindings) {
      for (Binding b : bindings) {
        if (b.real().equals(real) && b.hosts().equals(Set.copyOf(hosts))) {
          return b.placeholder();
        }
      }
      String placeholder = newPlaceholder(real.reveal());
      bindings.add(new Binding(Set.copyOf(hosts), header.toLowerCase(Locale.ROOT), placeholder, real));
      return placeholder;
    }
  }

  private String newPlaceholder(String value) {
    var m = KEPT_PREFIX.matcher(value);
    StringBuilder sb = new StringBuilder(m.find() && PUBLIC_PREFIXES.contains(m.group()) ? m.group() : "").append("tbph");
    for (int i = 0; i < 36; i++) {
      sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  /**
   * Replaces the real value behind {@code placeholder} (a refreshed token): the agent keeps the
   * placeholder it holds, and the gateway injects {@code real} from now on. The value it replaces
   * stays refused in requests, like every real value.
   *
   * @return whether {@code placeholder} was bound here
   */
  public boolean rebind(String placeholder, Secret real) {
    Objects.requireNonNull(placeholder, "placeholder");
    Objects.requireNonNull(real, "real");
    synchronized (bindings) {
      for (int i = 0; i < bindings.size(); i++) {
        Binding b = bindings.get(i);
        if (b.placeholder().equals(placeholder)) {
          bindings.set(i, new Binding(b.hosts(), b.header(), placeholder, real));
          retired.add(b.real());
          return true;
        }
      }
    }
    return false;
  }

  /** Whether any credential is bound to {@code host}. */
  boolean hasBindingFor(String host) {
    return bindings.stream().anyMatch(b -> b.hosts().contains(host));
  }

  /** The header names (lower case, besides {@code authorization}) some binding for {@code host} names. */
  Set<String> headersFor(String host) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    out.add("authorization");
    for (Binding b : bindings) {
      if (b.hosts().contains(host) && !b.header().isEmpty()) {
        out.add(b.header());
      }
    }
    return out;
  }

  /** The first binding whose placeholder occurs in {@code text}. */
  Optional<Binding> placeholderIn(String text) {
    for (Binding b : bindings) {
      if (text.contains(b.placeholder())) {
        return Optional.of(b);
      }
    }
    return Optional.empty();
  }

  /** The first binding whose real value (or a value it replaced) occurs in {@code text}. */
  Optional<Binding> realValueIn(String text) {
    for (Binding b : bindings) {
      if (text.contains(b.real().reveal())) {
        return Optional.of(b);
      }
    }
    for (Secret old : retired) {
      if (text.contains(old.reveal())) {
        return Optional.of(new Binding(Set.of(), "", "", old));
      }
    }
    return Optional.empty();
  }

  /**
   * Where a placeholder or a real value of this session occurs in {@code head} (its target, a header
   * value, or inside {@code Basic} credentials), for a request the gateway reads in clear on a host
   * it does not inspect: nothing is injected there, so either is refused. Empty when neither occurs.
   */
  Optional<String> foundIn(RequestHead head) {
    if (bindings.isEmpty()) {
      return Optional.empty();
    }
    if (placeholderIn(head.target()).isPresent() || realValueIn(head.target()).isPresent()) {
      return Optional.of("the request target");
    }
    for (RequestHead.Header h : head.headers()) {
      String value = h.value();
      String seen = value;
      if (value.length() > 6 && value.regionMatches(true, 0, "Basic ", 0, 6)) {
        try {
          seen = value + "\n" + new String(java.util.Base64.getDecoder().decode(value.substring(6).strip()),
              java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          // not base64: only the raw value is searched
        }
      }
      if (placeholderIn(seen).isPresent() || realValueIn(seen).isPresent()) {
        return Optional.of("header " + h.name());
      }
    }
    return Optional.empty();
  }

  /** Every binding, for the session's report (placeholders are not secret). */
  List<Binding> bindings() {
    return List.copyOf(bindings);
  }

  @Override
  public String toString() {
    return "InjectedCredentials[" + bindings.size() + " bound]";
  }
}
