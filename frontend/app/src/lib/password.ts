/** One of the server's password rules with whether a password meets it. */
export interface PasswordRule {
  label: string;
  met: boolean;
}

/** The rules of POST /users/register: 8–128 characters, at least one letter and one digit. */
export function passwordRules(password: string): PasswordRule[] {
  const length = [...password].length;
  return [
    { label: "8 to 128 characters", met: length >= 8 && length <= 128 },
    { label: "At least one letter", met: /\p{L}/u.test(password) },
    { label: "At least one digit", met: /\d/.test(password) },
  ];
}
