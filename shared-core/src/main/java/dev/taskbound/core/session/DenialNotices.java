package dev.taskbound.core.session;

import dev.taskbound.core.egress.DenialHint;
import dev.taskbound.core.egress.EgressDecision;
import java.io.PrintWriter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Tells the user about a forgotten allow rule the moment it bites: the first denial of each
 * {@code host:port} prints one line on Taskbound's standard error, e.g.
 * {@code taskbound: denied example.com:443 — to allow it, add "example.com" to spec.egress.allow}
 * (the advice is {@link DenialHint}'s, the same as in the gateway's 403 body).
 *
 * <p>Bounded: at most {@value #MAX_LINES} destinations are named per session, then one line says
 * that further denials appear only in the end-of-run summary and the evidence. Every line passes
 * the session's masker, and control characters are escaped, so an agent cannot forge Taskbound
 * lines or leak a secret through a host name. Called on the gateway's threads: thread-safe, and it
 * writes at most {@value #MAX_LINES} + 1 short lines per session.
 */
final class DenialNotices {
  static final int MAX_LINES = 20;
  private static final int MAX_CHARS = 300;

  private final PrintWriter out;
  private final UnaryOperator<String> mask;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final AtomicInteger named = new AtomicInteger();

  DenialNotices(PrintWriter out, UnaryOperator<String> mask) {
    this.out = out;
    this.mask = mask;
  }

  /** Prints a notice for a denied decision if its destination is new and the bound is not reached. */
  void onDecision(EgressDecision d) {
    if (d.allowed() || seen.size() > MAX_LINES * 4 || !seen.add(d.host() + ":" + d.port())) {
      return;
    }
    int n = named.incrementAndGet();
    String line;
    if (n <= MAX_LINES) {
      String where = d.host().contains(":") ? "[" + d.host() + "]:" + d.port() : d.host() + ":" + d.port();
      line = "taskbound: denied " + where + " — " + DenialHint.advice(d);
    } else if (n == MAX_LINES + 1) {
      line = "taskbound: more than " + MAX_LINES + " destinations denied; the rest are listed in the summary"
          + " at the end of the run and in the evidence";
    } else {
      return;
    }
    synchronized (out) {
      out.println(printable(mask.apply(line)));
      out.flush();
    }
  }

  /** Control characters escaped as {@code \xNN}, long lines cut with an ellipsis. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      if (b.length() >= MAX_CHARS) {
        return b.append('…').toString();
      }
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
