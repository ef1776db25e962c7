/**
 * A labelled `<select>` of fixed choices, as the filter forms use it. With `any`, a first
 * choice "any" stands for no filter (the empty value).
 */
export const ChoiceSelect = <Choice extends string>({
  label,
  name,
  value,
  choices,
  any = false,
  onChange,
}: {
  label: string;
  name?: string;
  value: Choice | '';
  choices: readonly Choice[];
  any?: boolean;
  onChange: (value: Choice | '') => void;
}) => (
  <label>
    {label}
    <select
      value={value}
      name={name}
      onChange={(event) => onChange(event.currentTarget.value as Choice | '')}
    >
      {any && <option value="">any</option>}
      {choices.map((choice) => (
        <option key={choice} value={choice}>
          {choice}
        </option>
      ))}
    </select>
  </label>
);
