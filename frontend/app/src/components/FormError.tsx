import { Alert } from "./Alert";

interface FormErrorProps {
  /** The sentence at the top: the server's `detail`, or what the page found wrong. */
  message: string;
  /** One line each: the server's per-field `errors`, or the page's own checks. */
  items?: readonly string[];
}

/** An error of a form with its list of reasons. */
export function FormError({ message, items = [] }: FormErrorProps) {
  return (
    <Alert>
      {message}
      {items.length > 0 && (
        <ul className="alert-list">
          {items.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      )}
    </Alert>
  );
}
