export type ScreenProps = {
	width: number;
	height: number;
	/** Keys reach this screen (it is shown and no prompt, question or help is open). */
	active: boolean;
};
